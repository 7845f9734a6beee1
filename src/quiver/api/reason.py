"""Custom HTTP reason phrases, which twine shows as the reason of a failed upload
(and pip, with ``-vv``, as the reason an index page failed: a feed in the recycle bin).

ASGI has no field for the reason phrase, so a handler marks the response with
the private ``x-quiver-reason`` header; ``ReasonPhraseMiddleware`` (outermost)
removes the header and holds the phrase in a context variable while the server
writes the status line. ``install_uvicorn_reason_phrases`` makes uvicorn's h11
protocol read that variable. Without the hook the standard phrase is sent and
the reason is still in the body, so nothing breaks.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Mapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REASON_HEADER = b"x-quiver-reason"
_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("quiver_reason", default=None)


def safe_reason(text: str) -> str:
    """A reason phrase h11 accepts: one line of printable Latin-1, at most 300 characters."""
    line = " ".join(text.split())
    line = line.encode("latin-1", "replace").decode("latin-1")
    return "".join(ch if ch.isprintable() else "?" for ch in line)[:300]


class ReasonPhraseMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_reason(message: Message) -> None:
            if message["type"] != "http.response.start":
                await send(message)
                return
            headers = list(message.get("headers", []))
            reason = next((v for k, v in headers if k.lower() == REASON_HEADER), None)
            if reason is None:
                await send(message)
                return
            message = {
                **message,
                "headers": [(k, v) for k, v in headers if k.lower() != REASON_HEADER],
            }
            token = _current.set(reason.decode("latin-1"))
            try:
                await send(message)
            finally:
                _current.reset(token)

        await self.app(scope, receive, send_with_reason)


class _Phrases(Mapping[int, bytes]):
    """uvicorn's status-phrase table, answering the current custom phrase first."""

    def __init__(self, standard: Mapping[int, bytes]) -> None:
        self.standard = standard

    def __getitem__(self, status: int) -> bytes:
        custom = _current.get()
        if custom is not None:
            return custom.encode("latin-1")
        return self.standard[status]

    def __iter__(self) -> Iterator[int]:
        return iter(self.standard)

    def __len__(self) -> int:
        return len(self.standard)


def install_uvicorn_reason_phrases() -> None:
    """Hook uvicorn's h11 protocol so it sends the phrases this module sets."""
    from uvicorn.protocols.http import h11_impl

    table: Any = h11_impl.STATUS_PHRASES
    if not isinstance(table, _Phrases):
        h11_impl.STATUS_PHRASES = _Phrases(table)  # type: ignore[assignment]
