"""``Range`` requests as RFC 9110 (section 14) says: ignore what is not understood.

A ``Range`` header that is not a well-formed ``bytes`` range set (another unit,
``bytes=abc``, a last position before the first, non-ASCII digits, more than
``MAX_RANGES`` ranges) is ignored and the whole file is sent with 200, as the RFC
requires of a server that does not understand a range request. A well-formed one none
of whose ranges overlaps the file is unsatisfiable (416). Positions may have any number
of digits: one past the end means "to the end".
"""

from __future__ import annotations

import os
import re

from fastapi.responses import FileResponse
from starlette.types import Receive, Scope, Send

#: More ranges than this in one header are ignored (Starlette's own limit).
MAX_RANGES = 100
_SPEC = re.compile(r"([0-9]*)-([0-9]*)")
#: Digits past which a position is surely beyond any file (and never converted).
_DIGITS = 20
_BEYOND = 10**_DIGITS


class Unsatisfiable(ValueError):
    """A well-formed range set none of whose ranges overlaps the file (416)."""


def _position(digits: str) -> int:
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) < _DIGITS else _BEYOND


def _before(last: str, first: str) -> bool:
    """Whether position ``last`` < ``first``, for digit strings of any length."""
    last, first = last.lstrip("0") or "0", first.lstrip("0") or "0"
    return (len(last), last) < (len(first), first)


def byte_ranges(header: str, size: int) -> list[tuple[int, int]] | None:
    """The ``[start, end)`` spans a ``Range`` header asks of a ``size``-byte file.

    None when the header is to be ignored (whole file, 200). Raises ``Unsatisfiable``
    when it is well-formed but no range overlaps the file. Spans come in the order
    asked, unsatisfiable ones left out.
    """
    unit, sep, range_set = header.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    specs = [spec.strip() for spec in range_set.split(",")]
    specs = [spec for spec in specs if spec]  # the list rule allows empty elements
    if not specs or len(specs) > MAX_RANGES:
        return None
    spans: list[tuple[int, int]] = []
    for spec in specs:
        match = _SPEC.fullmatch(spec)
        if match is None:
            return None
        first, last = match.groups()
        if not first and not last:
            return None
        if not first:  # suffix: the last N bytes
            length = _position(last)
            if length > 0 and size > 0:
                spans.append((max(size - length, 0), size))
            continue
        if last and _before(last, first):
            return None  # invalid, so the whole header is ignored
        start = _position(first)
        if start >= size:
            continue
        end = size if not last else min(_position(last) + 1, size)
        spans.append((start, end))
    if not spans:
        raise Unsatisfiable(header)
    return spans


class RangedFileResponse(FileResponse):
    """Starlette's FileResponse with RFC 9110's rules for ``Range`` applied first.

    Starlette answers 400 to a malformed ``Range``; here it is dropped from the request
    before Starlette sees it (the whole file), and a well-formed one is handed on
    normalized, so Starlette's parser only ever reads plain numbers. Starlette still
    decides everything else (``If-Range``, methods, multipart/byteranges, 416).
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.stat_result is not None:
            scope = _normalized(scope, self.stat_result)
        await super().__call__(scope, receive, send)


def _normalized(scope: Scope, stat: os.stat_result) -> Scope:
    headers: list[tuple[bytes, bytes]] = list(scope.get("headers", ()))
    found = [value for name, value in headers if name == b"range"]
    if not found:
        return scope
    others = [(name, value) for name, value in headers if name != b"range"]
    try:
        spans = byte_ranges(found[0].decode("latin-1"), stat.st_size)
    except Unsatisfiable:
        spans = [(stat.st_size, stat.st_size + 1)]  # Starlette answers that with 416
    if spans is None:
        return {**scope, "headers": others}
    value = "bytes=" + ",".join(f"{start}-{end - 1}" for start, end in spans)
    return {**scope, "headers": [*others, (b"range", value.encode("ascii"))]}
