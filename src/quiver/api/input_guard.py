"""Refusing NUL and lone surrogates before any route sees them.

Neither belongs in a name, a reason or a description: PostgreSQL cannot store NUL in
text, and a lone UTF-16 surrogate (U+D800-U+DFFF, which JSON can spell ``"\\ud800"``)
cannot be encoded as UTF-8 at all. Let through, either ends as a 500 deep inside a
query, an INSERT or an answer. ``InputGuardMiddleware`` answers 400 with one sentence
when one appears in

* the path, after percent-decoding (``/acme%00/...``);
* a query parameter's name or value, after percent-decoding;
* a string (key or value) anywhere in a JSON body, or a field of a form-encoded body.

Bodies are read whole first (as FastAPI reads JSON anyway) when their content type is
JSON, form-encoded, text or absent; ``RequestLimitsMiddleware``, outside this one, bounds
them (``QUIVER_MAX_BODY_BYTES``) and their pace while they are read. Other bodies pass
untouched and unbuffered: multipart uploads stream to disk, and their text fields are
decoded strictly by ``quiver.api.multipart`` and their filenames checked by
``quiver.domain.distributions.parse_filename``. Headers are not inspected: h11 refuses
NUL in them, and tokens are only ever hashed.
"""

from __future__ import annotations

import json
import re
from email.message import Message as EmailMessage
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quiver.api.errors import error_response

_BAD = re.compile("[\x00\ud800-\udfff]")
_GUARDED_TYPES = ("application/json", "application/x-www-form-urlencoded", "text/plain")


def refusal(text: str, where: str) -> str | None:
    """The sentence refusing ``text`` found in ``where``, or None when it is acceptable."""
    found = _BAD.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return f"The {where} holds a NUL character (%00 or \\u0000), which no text here may hold."
    return (
        f"The {where} holds a lone UTF-16 surrogate ({ascii(found.group())[1:-1]}), "
        "which is not a character: send text as UTF-8."
    )


def query_refusal(raw: bytes, where: str) -> str | None:
    """The refusal of the first bad name or value of a query string (or form body)."""
    for pair in raw.split(b"&"):
        if b"%" not in pair and b"\x00" not in pair:
            continue  # percent-decoding only could reveal a NUL
        decoded = unquote_to_bytes(pair.replace(b"+", b" "))
        if b"\x00" in decoded:
            return refusal("\x00", where)
    return None


def json_refusal(body: bytes) -> str | None:
    """The refusal of the first bad string in a JSON body (None when it is not JSON at all:
    the route refuses that in its own words)."""
    try:
        value = json.loads(body)
    except RecursionError:
        return "The JSON body is nested too deeply."
    except ValueError:
        return None
    stack: list[Any] = [value]
    while stack:  # not recursive: the parser accepts deeper nesting than Python recursion
        item = stack.pop()
        if isinstance(item, str):
            texts: list[str] = [item]
        elif isinstance(item, dict):
            texts = list(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            texts = []
            stack.extend(item)
        else:
            continue
        for text in texts:
            if (sentence := refusal(text, "JSON body")) is not None:
                return sentence
    return None


def _media_type(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            message = EmailMessage()
            message["content-type"] = value.decode("latin-1")
            return message.get_content_type()
    return None


def _guards_body(media_type: str | None) -> bool:
    if media_type is None:
        return True  # FastAPI reads a body without a type as JSON
    return media_type in _GUARDED_TYPES or media_type.endswith("+json")


class InputGuardMiddleware:
    """Answers 400 for NUL or a lone surrogate in the path, query or a small body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        sentence = refusal(path, "path") or query_refusal(
            scope.get("query_string", b""), "query string"
        )
        media_type = _media_type(scope)
        if sentence is None and _guards_body(media_type):
            body = await _read_body(receive)
            if media_type == "application/x-www-form-urlencoded":
                sentence = query_refusal(body, "form body")
            elif body:
                sentence = json_refusal(body)
            receive = _replay(body, receive)
        if sentence is not None:
            await _answer(scope, receive, send, sentence)
            return
        await self.app(scope, receive, send)


async def _read_body(receive: Receive) -> bytes:
    """The whole body (its size and pace are bounded by ``receive``: request_limits.py)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # the client went away: the route sees an empty body
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives ``body`` once, then whatever the server says next."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _answer(scope: Scope, receive: Receive, send: Send, sentence: str) -> None:
    # twine shows only the status line of a refused upload (quiver.api.reason)
    upload = str(scope["path"]).rstrip("/").endswith("/pypi/upload")
    await error_response(400, sentence, reason=upload)(scope, receive, send)
