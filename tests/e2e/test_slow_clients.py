"""Slow and oversized requests against a real ``quiver serve``.

See docs/operations/security.md, "Limits".

Raw sockets, because HTTP clients neither trickle nor send broken heads: a connection whose
request head is not complete within ``QUIVER_HEADER_TIMEOUT_SECONDS`` is closed, a body
that stops arriving for ``QUIVER_BODY_TIMEOUT_SECONDS`` is answered 408, an oversized
request line or head is answered 414 or 431 as JSON — and none of them holds up anyone else.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.server import LiveServer, live_server

pytestmark = pytest.mark.e2e
TIMEOUT = 2.0  # both the head and the body timeout of this module's server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    env = {
        "QUIVER_HEADER_TIMEOUT_SECONDS": str(TIMEOUT),
        "QUIVER_BODY_TIMEOUT_SECONDS": str(TIMEOUT),
    }
    with live_server(tmp_path_factory.mktemp("slow") / "data", env=env) as running:
        yield running


def connect(server: LiveServer) -> socket.socket:
    address = urlsplit(server.url)
    assert address.hostname is not None and address.port is not None
    return socket.create_connection((address.hostname, address.port), timeout=10)


def is_closed(sock: socket.socket) -> bool:
    """Whether the server closed ``sock`` (without waiting); it must not have answered."""
    sock.setblocking(False)
    try:
        data = sock.recv(65536)
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True
    finally:
        sock.setblocking(True)
    assert data == b"", f"the server answered a request it cannot have had: {data[:200]!r}"
    return True


def answer(sock: socket.socket, within: float) -> tuple[int, dict[str, str], bytes]:
    """The server's response (status, headers, body), read until its Content-Length or
    until the server closes the connection."""
    sock.settimeout(within)
    data = b""
    while True:
        head, found, body = data.partition(b"\r\n\r\n")
        if found:
            status_line, *lines = head.decode("latin-1").split("\r\n")
            pairs = (line.partition(":") for line in lines)
            headers = {name.strip().lower(): value.strip() for name, _, value in pairs}
            if len(body) >= int(headers.get("content-length", "-1")) >= 0:
                return int(status_line.split()[1]), headers, body
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            assert found, f"no answer, only {data[:200]!r}"
            return int(status_line.split()[1]), headers, body
        data += chunk


def health_is_quick(server: LiveServer) -> None:
    started = time.monotonic()
    response = httpx.get(server.url + "/_apis/health", timeout=5)
    assert response.status_code == 200
    assert time.monotonic() - started < 1.0


def test_trickling_heads_are_dropped_while_others_are_served(server: LiveServer) -> None:
    head = b"GET /_apis/health HTTP/1.1\r\nHost: quiver\r\nX-Slow: " + b"a" * 1000
    sockets = [connect(server) for _ in range(300)]
    idle = connect(server)  # sends nothing at all
    started = time.monotonic()
    closed_at: dict[int, float] = {}
    sent = 0
    while len(closed_at) < len(sockets) and time.monotonic() - started < TIMEOUT + 5:
        for n, sock in enumerate(sockets):
            if n in closed_at:
                continue
            try:
                if is_closed(sock):
                    closed_at[n] = time.monotonic() - started
                else:
                    sock.send(head[sent : sent + 1])
            except OSError:
                closed_at[n] = time.monotonic() - started
        sent += 1
        health_is_quick(server)
        time.sleep(0.2)
    assert len(closed_at) == len(sockets), "trickling connections were left open"
    assert min(closed_at.values()) > TIMEOUT - 0.5  # held to the deadline, not refused at once
    assert max(closed_at.values()) < TIMEOUT + 3
    assert is_closed(idle)
    for sock in [*sockets, idle]:
        sock.close()


def test_the_next_head_on_a_kept_alive_connection_has_the_same_deadline(
    server: LiveServer,
) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /_apis/health HTTP/1.1\r\nHost: quiver\r\n\r\n")
        assert answer(sock, within=5)[0] == 200
        started = time.monotonic()
        for byte in b"GET /_apis/health HTTP/1.1\r\nHost: quiver\r\nX-Slow: aaaaaaaaaa":
            # faster than uvicorn's keep-alive timeout, which any byte resets
            try:
                if is_closed(sock):
                    break
                sock.send(bytes([byte]))
            except OSError:
                break
            time.sleep(0.25)
        else:
            pytest.fail("the trickled head was never cut off")
        assert TIMEOUT - 0.5 < time.monotonic() - started < TIMEOUT + 2


def test_a_body_that_stops_arriving_is_408(server: LiveServer) -> None:
    with connect(server) as sock:
        sock.sendall(
            b"POST /_apis/auth/device HTTP/1.1\r\nHost: quiver\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
            b'{"client_name": '
        )
        started = time.monotonic()
        status, headers, body = answer(sock, within=TIMEOUT + 5)
        assert status == 408
        assert headers["connection"] == "close"
        assert "stopped arriving" in json.loads(body)["message"]
        assert TIMEOUT - 0.5 < time.monotonic() - started < TIMEOUT + 2
    health_is_quick(server)


def test_a_100_kb_request_line_is_414_at_once(server: LiveServer) -> None:
    with connect(server) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: quiver\r\n\r\n")
        status, headers, body = answer(sock, within=5)
        assert status == 414
        assert headers["content-type"] == "application/json"
        assert "8 KiB" in json.loads(body)["message"]
        assert time.monotonic() - started < 1.0
    health_is_quick(server)


@pytest.mark.parametrize(
    ("start", "status", "words"),
    [
        (b"GET /" + b"a" * 60_000, 414, "8 KiB"),  # the request line never ends
        (b"GET /_apis/health HTTP/1.1\r\nX-Big: " + b"a" * 60_000, 431, "request head"),
    ],
)
def test_a_head_too_long_to_buffer_is_refused_as_json(
    server: LiveServer, start: bytes, status: int, words: str
) -> None:
    with connect(server) as sock:
        for offset in range(0, len(start), 4096):  # in pieces: the head is never complete
            try:
                sock.sendall(start[offset : offset + 4096])
            except OSError:
                break  # the server has answered and shut its side
            time.sleep(0.005)
        got, headers, body = answer(sock, within=5)
        assert got == status
        assert headers["content-type"] == "application/json"
        assert words in json.loads(body)["message"]
