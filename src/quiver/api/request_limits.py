"""Bounds on what one request may make the server hold or wait for.

See docs/operations/security.md, "Limits".

Without them one anonymous request could exhaust the server: FastAPI reads a JSON body
whole before any check or dependency runs (a 400 MiB body to the device-login endpoint
peaked at 1.4 GiB), and nothing bounded a request line or a body that stopped arriving.
``RequestLimitsMiddleware`` answers before the app runs when the request head already
says no, and counts and times the body while the app reads it:

* a request target (path and query) over 8 KiB: 414; headers over 32 KiB in all: 431;
* a body to the management API (``/_apis/``, except the sign-in flows under
  ``/_apis/auth/``) without credentials: 401 before any of it is read — every route
  there that takes a body needs a user;
* a body outside uploads over ``QUIVER_MAX_BODY_BYTES``: 413, at once when
  ``Content-Length`` says so, else as soon as the bytes read pass it (chunked bodies);
* a body that stops arriving for ``QUIVER_BODY_TIMEOUT_SECONDS``: 408, connection closed.

Uploads (multipart POSTs to ``.../pypi/upload/``) keep their own bounds, applied while
they stream to disk (``quiver.api.multipart``, ``QUIVER_MAX_UPLOAD_BYTES``). The limits
hold while the request is read, until the response starts: a streamed download listens
for the client going away through ``receive`` and must not time out. The deadline for the
request head itself is the server protocol's (``quiver.api.h11_protocol``).
"""

from __future__ import annotations

import asyncio

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quiver.api.errors import error_response

KIB = 1024
MIB = 1024 * KIB
MAX_TARGET_BYTES = 8 * KIB
MAX_HEADER_BYTES = 32 * KIB
# What h11 may buffer of an incomplete request head: a head within both limits always fits.
MAX_HEAD_BYTES = MAX_TARGET_BYTES + MAX_HEADER_BYTES + KIB
CREDENTIALS_NEEDED = "Authentication required: send a personal access token."
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


def size_text(count: int) -> str:
    """``1048576`` → ``1 MiB``; sizes that are not whole KiB or MiB in bytes."""
    for unit, name in ((MIB, "MiB"), (KIB, "KiB")):
        if count >= unit and count % unit == 0:
            return f"{count // unit} {name}"
    return f"{count} bytes"


class BodyRefused(HTTPException):
    """Raised from ``receive``: inside a route the app's handlers answer it, else the
    middleware does."""


class RequestLimitsMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, body_timeout: float) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = None if is_upload(scope) else self.max_body_bytes
        refusal = head_refusal(scope, limit)
        if refusal is not None:
            await error_response(*refusal)(scope, receive, send)
            return
        body = _BodyReader(receive, limit, self.body_timeout)

        async def watched(message: Message) -> None:
            if message["type"] == "http.response.start":
                body.answered = True
                if body.timed_out:  # the client stalled: do not wait for the rest
                    headers = [*message.get("headers", []), (b"connection", b"close")]
                    message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, body.receive, watched)
        except BodyRefused as err:
            if body.answered:
                raise
            response = error_response(err.status_code, str(err.detail))
            if body.timed_out:
                response.headers["Connection"] = "close"
            await response(scope, receive, send)


def head_refusal(scope: Scope, limit: int | None) -> tuple[int, str] | None:
    """The status and sentence refusing a request from its head alone, or None."""
    target = len(scope.get("raw_path") or scope["path"].encode()) + len(
        scope.get("query_string", b"")
    )
    if target > MAX_TARGET_BYTES:
        return 414, f"The request target (path and query) is over {size_text(MAX_TARGET_BYTES)}."
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    if sum(len(name) + len(value) + 4 for name, value in headers) > MAX_HEADER_BYTES:
        return 431, f"The request headers are over {size_text(MAX_HEADER_BYTES)} in all."
    length = _content_length(headers)
    chunked = any(name == b"transfer-encoding" for name, _ in headers)
    has_body = chunked or (length is not None and length > 0)
    if has_body and _needs_credentials(scope) and not _has_credentials(headers):
        return 401, CREDENTIALS_NEEDED
    if limit is not None and length is not None and length > limit:
        return 413, _too_large(limit)
    return None


def is_upload(scope: Scope) -> bool:
    """A multipart POST to ``.../pypi/upload/``, which streams to disk with its own limits."""
    if scope["method"] != "POST" or not str(scope["path"]).rstrip("/").endswith("/pypi/upload"):
        return False
    kind = next((value for name, value in scope["headers"] if name == b"content-type"), b"")
    return kind.partition(b";")[0].strip().lower() == b"multipart/form-data"


def _needs_credentials(scope: Scope) -> bool:
    path = str(scope["path"])
    return (
        scope["method"] not in _READS and "/_apis/" in path and not path.startswith("/_apis/auth/")
    )


def _has_credentials(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(name == b"authorization" and value.strip() for name, value in headers)


def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name == b"content-length":
            # h11 refuses a malformed one; more digits than int() takes is "too large" too
            if not value.isdigit():
                return None
            return int(value) if len(value) <= 18 else 10**18
    return None


def _too_large(limit: int) -> str:
    return (
        f"The request body is over {size_text(limit)}, the most this server accepts "
        "outside package uploads."
    )


class _BodyReader:
    """``receive`` with the body counted against ``limit`` and each wait bounded."""

    def __init__(self, receive: Receive, limit: int | None, timeout: float) -> None:
        self._receive = receive
        self.limit = limit
        self.timeout = timeout
        self.size = 0
        self.complete = False  # the whole body (or a disconnect) was received
        self.answered = False  # the response started: no more limits
        self.timed_out = False

    async def receive(self) -> Message:
        if self.complete or self.answered:
            return await self._receive()
        try:
            async with asyncio.timeout(self.timeout):
                message = await self._receive()
        except TimeoutError:
            self.timed_out = True
            raise BodyRefused(
                408, f"The request body stopped arriving for {self.timeout:g} seconds."
            ) from None
        if message["type"] != "http.request":
            self.complete = True
            return message
        self.size += len(message.get("body", b""))
        self.complete = not message.get("more_body", False)
        if self.limit is not None and self.size > self.limit:
            raise BodyRefused(413, _too_large(self.limit))
        return message
