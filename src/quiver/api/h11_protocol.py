"""uvicorn's h11 protocol with a deadline for every request head, and JSON for bad heads.

uvicorn closes a keep-alive connection that stays idle, but sets no limit on how long a
request head may take to arrive once its first byte has: a client trickling one header
byte a second keeps its connection (a file descriptor and a protocol object) forever, and
a few hundred such clients exhaust the server. ``QuiverH11Protocol`` starts a timer
whenever a connection waits for a request head — when it opens, and after each response —
and closes the connection when no complete head has arrived within
``QUIVER_HEADER_TIMEOUT_SECONDS``. The timer also bounds how long a connection may go on
sending a body the app answered without reading (a 401 or 413): uvicorn discards those
bytes, and the next head must come within the deadline. Bodies the app does read are timed
by ``quiver.api.request_limits``.

A head h11 refuses is answered as JSON ``{"message": ...}`` like every other error: 414
when the request line alone passes the buffer limit (``MAX_HEAD_BYTES``, which uvicorn is
given as ``h11_max_incomplete_event_size``), 431 when the headers do, else 400. The
connection then lingers for ``LINGER_SECONDS``, reading and dropping what the client is
still sending: closing a socket with unread input makes the kernel reset the connection,
and the client would see a reset instead of the answer.

``quiver serve`` passes this class to uvicorn and ``configure`` sets the deadline in each
server process (the class attribute is not carried to worker processes).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from http import HTTPStatus

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from quiver.api.request_limits import MAX_HEAD_BYTES, MAX_TARGET_BYTES, size_text

# the request line holds the method and version around the target
_LINE_SLACK = 64
LINGER_SECONDS = 2.0


def configure(header_timeout: float) -> None:
    """Set the request-head deadline of every connection this process accepts."""
    QuiverH11Protocol.header_timeout = header_timeout


class QuiverH11Protocol(H11Protocol):
    header_timeout: float = 20.0
    _head_timer: asyncio.TimerHandle | None = None
    _lingering = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head()

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return  # the answer is sent; this is what the client sent before reading it
        super().data_received(data)
        if not self._awaiting_head():
            self._stop_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # may take up a pipelined request at once
        if self._awaiting_head():
            self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timer()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        status, message = self._refusal()
        headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
        body = json.dumps({"message": message}).encode()
        reason = HTTPStatus(status).phrase.encode()
        for event in (
            h11.Response(status_code=status, headers=headers, reason=reason),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            output = self.conn.send(event)
            if output:
                self.transport.write(output)
        self._lingering = True
        self._stop_timer()
        if self.transport.can_write_eof():
            self.transport.write_eof()  # after the answer; the client's EOF closes it all
        self.loop.call_later(LINGER_SECONDS, self.transport.close)

    def _refusal(self) -> tuple[int, str]:
        buffered, _closed = self.conn.trailing_data
        if len(buffered) <= MAX_HEAD_BYTES:
            return 400, "The request is not valid HTTP/1.1."
        line_end = buffered.find(b"\n")
        if line_end < 0 or line_end > MAX_TARGET_BYTES + _LINE_SLACK:
            target = size_text(MAX_TARGET_BYTES)
            return 414, f"The request target (path and query) is over {target}."
        return 431, f"The request head is over {size_text(MAX_HEAD_BYTES)}."

    def _awaiting_head(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _await_head(self) -> None:
        if self._head_timer is None and not self.transport.is_closing():
            self._head_timer = self.loop.call_later(self.header_timeout, self._head_overdue)

    def _stop_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_overdue(self) -> None:
        self._head_timer = None
        if not self._awaiting_head() or self.transport.is_closing():
            return
        if self.transport.get_protocol() is not self:  # upgraded to another protocol
            return
        # h11 refuses in the middle of a request; the socket closes all the same
        with contextlib.suppress(h11.LocalProtocolError):
            self.conn.send(h11.ConnectionClosed())
        self.transport.close()
