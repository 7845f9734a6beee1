"""Operating a live server: JSON logs without secrets, and a SIGTERM that lets uploads finish.

* ``QUIVER_LOG_FORMAT=json``: every line the server writes is one JSON object, access lines
  carry the request's fields, and no token appears anywhere, even when clients put
  credentials in the URL (userinfo, query strings, an absolute request target).
* SIGTERM in the middle of an upload's body: the server stops accepting connections, the
  upload still completes with 200, the process exits cleanly (download counts and token
  use flushed), and after a restart pip installs the uploaded file.
"""

from __future__ import annotations

import base64
import json
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.http.publishing import form_for
from tests.support import rest
from tests.support.dists import build_wheel
from tests.support.server import LiveServer, live_server
from tests.support.venvs import client_env, make_venv

pytestmark = pytest.mark.e2e
FEED = "acme/libs"
JSON_LOGS = {"QUIVER_LOG_FORMAT": "json", "QUIVER_LOG_LEVEL": "info"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("operations") / "data", env=JSON_LOGS) as running:
        yield running


def log_records(server: LiveServer) -> list[dict[str, Any]]:
    """Every line of the server's output (stdout and stderr), each parsed as JSON."""
    records = []
    for line in server.log().splitlines():
        record = json.loads(line)  # fails the test on any line that is not JSON
        assert isinstance(record, dict), line
        assert {"time", "level", "logger", "message"} <= set(record), line
        records.append(record)
    return records


def upload_request(server: LiveServer, wheel: Path, token: str) -> tuple[bytes, bytes]:
    """The head and body of twine's upload POST of ``wheel``, as raw HTTP/1.1."""
    data = wheel.read_bytes()
    request = httpx.Request(
        "POST",
        server.upload_url(FEED),
        data=form_for(wheel, data),
        files={"content": (wheel.name, data, "application/octet-stream")},
    )
    body = request.read()
    basic = base64.b64encode(f"__token__:{token}".encode()).decode()
    head = (
        f"POST {request.url.raw_path.decode()} HTTP/1.1\r\n"
        f"Host: {request.url.netloc.decode()}\r\n"
        f"Authorization: Basic {basic}\r\n"
        f"Content-Type: {request.headers['content-type']}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode(), body


def raw_exchange(server: LiveServer, request: bytes) -> bytes:
    """Send ``request`` on a new connection and read the answer until the server closes."""
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(request)
        return read_all(sock)


def read_all(sock: socket.socket) -> bytes:
    answer = b""
    while chunk := sock.recv(65536):
        answer += chunk
    return answer


def test_json_logs_hold_request_fields_and_no_secrets(server: LiveServer, tmp_path: Path) -> None:
    with server.client() as admin:
        rest.create_feed(admin, FEED)
        rest.create_user(admin, "dev")
        rest.set_role(admin, FEED, "dev", "contributor")
        token = rest.create_token(admin, "dev", "packaging:write")
    wheel = build_wheel(tmp_path, "logged", "1.0")
    data = wheel.read_bytes()
    with_userinfo = server.url.replace("http://", f"http://__token__:{token}@")
    published = httpx.post(
        with_userinfo + server.upload_url(FEED).removeprefix(server.url),
        data=form_for(wheel, data),
        files={"content": (wheel.name, data, "application/octet-stream")},
    )
    assert published.status_code == 200, published.text
    index = httpx.get(server.index_url(FEED, token) + f"logged/?access_token={token}")
    assert index.status_code == 200
    host = server.url.removeprefix("http://")
    absolute = (
        f"GET http://__token__:{token}@{host}/_apis/health?token={token} HTTP/1.1\r\n"
        f"Host: {host}\r\nConnection: close\r\n\r\n"
    )
    assert raw_exchange(server, absolute.encode()).startswith(b"HTTP/1.1 ")

    time.sleep(0.3)  # the last access line is written after the response
    text = server.log()
    for secret in (token, server.admin_token, "__token__:"):
        assert secret not in text
    records = log_records(server)
    access = [r for r in records if r["logger"] == "quiver.access"]
    upload = next(r for r in access if r["path"] == "/acme/_packaging/libs/pypi/upload/")
    assert upload["method"] == "POST"
    assert upload["route"] == "/{org}/_packaging/{feed}/pypi/upload/"
    assert upload["status"] == 200
    assert upload["client"] == "127.0.0.1"
    assert isinstance(upload["duration_ms"], float)
    page = next(r for r in access if r["path"].endswith("/simple/logged/"))
    assert page["status"] == 200  # logged without its query string
    odd = next(r for r in access if r["path"] == "/_apis/health" and r["route"] == "unmatched")
    assert odd["status"] == 404  # an absolute target: only its path is logged
    assert any(r["logger"] == "uvicorn.error" for r in records)  # uvicorn's lines too


def test_sigterm_lets_an_upload_in_flight_finish(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    wheel = build_wheel(tmp_path / "dists", "graceful", "1.0", module_code="X = 1\n" * 20_000)
    early = build_wheel(tmp_path / "dists", "early", "1.0")
    with live_server(data_dir, env={**JSON_LOGS, "QUIVER_SHUTDOWN_GRACE_SECONDS": "30"}) as server:
        with server.client() as admin:
            rest.create_feed(admin, FEED)
            token = rest.create_token(admin, "admin", "packaging:write")
            early_data = early.read_bytes()
            published = admin.post(
                server.upload_url(FEED),
                data=form_for(early, early_data),
                files={"content": (early.name, early_data, "application/octet-stream")},
            )
            assert published.status_code == 200, published.text
            downloaded = admin.get(server.index_url(FEED) + f"early/{early.name}")
            assert downloaded.content == early_data  # counted in memory, flushed later
        head, body = upload_request(server, wheel, token)
        host, port = server.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=30) as sock:
            sock.sendall(head + body[: len(body) // 3])
            time.sleep(0.5)  # the server is reading the body
            server.process.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            with pytest.raises(httpx.ConnectError):  # no longer accepting
                httpx.get(server.url + "/_apis/health", timeout=2)
            rest_of_body = body[len(body) // 3 :]
            step = max(len(rest_of_body) // 10, 1)
            for start in range(0, len(rest_of_body), step):
                sock.sendall(rest_of_body[start : start + step])
                time.sleep(0.1)
            answer = read_all(sock)
        assert answer.startswith(b"HTTP/1.1 200 "), answer[:300]
        assert b"Published graceful-1.0-py3-none-any.whl" in answer
        # uvicorn ends by raising the signal again, once shut down: -SIGTERM is the clean exit
        assert server.process.wait(timeout=30) in (0, -signal.SIGTERM)
        messages = [r["message"] for r in log_records(server)]  # shutting down wrote JSON too
        assert "Waiting for connections to close. (CTRL+C to force quit)" in messages
        assert messages.index("Application shutdown complete.") > messages.index(
            "Waiting for application shutdown."
        )

    with live_server(data_dir) as again:
        venv = make_venv(tmp_path / "venv")
        env = client_env({"PIP_INDEX_URL": again.index_url(FEED, again.admin_token)})
        venv.pip("install", "graceful==1.0", env=env)
        assert venv.installed()["graceful"] == "1.0"
        with again.client() as admin:
            versions = admin.get(rest.feed_url(FEED, "/packages/early/versions"))
            assert versions.json()["versions"][0]["download_count"] == 1
            tokens = admin.get("/_apis/tokens", params={"user": "admin"}).json()
    used = [t for t in tokens if t["name"] == "admin-token"]
    assert used and used[0]["last_used_at"] is not None
