"""A scriptable HTTP server on loopback standing in for an upstream index in tests.

An upstream is outside our control, so tests talk to a real HTTP server whose
answers they script per path: status, headers, body (bytes, or a generator of
chunks so huge bodies are streamed without being held), a delay before
answering, and a sequence of replies (each request takes the next one; the last
repeats), e.g. two 500s and then a page. Every request is recorded with its
headers, so tests can check what was asked for (Accept) and what was sent
(Authorization). Unknown paths answer 404.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

__all__ = ["FakeIndex", "Reply", "Seen", "html_reply", "json_reply", "redirect_reply", "zeros"]

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
Body = bytes | Callable[[], Iterable[bytes]]


@dataclass
class Reply:
    """One scripted answer. A callable ``body`` is called per request and streamed
    chunk by chunk with no Content-Length (the connection close ends it)."""

    status: int = 200
    body: Body = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class Seen:
    """A request the server received: its path and headers (names lowercased)."""

    path: str
    headers: dict[str, str]


def json_reply(doc: Any, status: int = 200, **kwargs: Any) -> Reply:
    """A PEP 691 JSON answer of ``doc``."""
    return Reply(status, json.dumps(doc).encode(), {"Content-Type": JSON_TYPE}, **kwargs)


def html_reply(text: str, status: int = 200, **kwargs: Any) -> Reply:
    """A PEP 503 HTML answer of ``text``."""
    return Reply(status, text.encode(), {"Content-Type": "text/html; charset=utf-8"}, **kwargs)


def redirect_reply(location: str, status: int = 302) -> Reply:
    return Reply(status, b"", {"Location": location})


class FakeIndex:
    """``with FakeIndex() as index: index.route("/simple/foo/", json_reply(...))``."""

    def __init__(self) -> None:
        self._routes: dict[str, list[Reply]] = {}
        self._lock = threading.Lock()
        self.requests: list[Seen] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        # Slow scripted replies must not hold up stopping the server.
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def route(self, path: str, *replies: Reply) -> None:
        """Answer ``path`` with ``replies`` in turn, repeating the last (replaces any script)."""
        assert replies, "a route needs at least one reply"
        with self._lock:
            self._routes[path] = list(replies)

    def count(self, path: str) -> int:
        """How many requests for ``path`` arrived."""
        with self._lock:
            return sum(1 for seen in self.requests if seen.path == path)

    def seen(self, path: str) -> list[Seen]:
        with self._lock:
            return [seen for seen in self.requests if seen.path == path]

    def _next_reply(self, path: str, headers: dict[str, str]) -> Reply:
        with self._lock:
            self.requests.append(Seen(path, headers))
            replies = self._routes.get(path)
            if not replies:
                return Reply(404, b"not found", {"Content-Type": "text/plain"})
            return replies.pop(0) if len(replies) > 1 else replies[0]

    def start(self) -> FakeIndex:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeIndex:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def _handler_for(index: FakeIndex) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.0: one request per connection, and a streamed body ends at close.
        protocol_version = "HTTP/1.0"

        def do_GET(self) -> None:
            headers = {name.lower(): value for name, value in self.headers.items()}
            reply = index._next_reply(urlsplit(self.path).path, headers)
            if reply.delay:
                time.sleep(reply.delay)
            try:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if isinstance(reply.body, bytes):
                    if "content-length" not in {name.lower() for name in reply.headers}:
                        self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                    return
                self.end_headers()
                for chunk in reply.body():
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout or a size limit): that is the test

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def zeros(total: int, chunk: int = 64 * 1024) -> Callable[[], Iterator[bytes]]:
    """A streamed body of ``total`` zero bytes, produced a chunk at a time."""

    def produce() -> Iterator[bytes]:
        block = b"0" * chunk
        sent = 0
        while sent < total:
            piece = block[: min(chunk, total - sent)]
            sent += len(piece)
            yield piece

    return produce
