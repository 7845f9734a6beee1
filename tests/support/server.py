"""A real ``quiver serve`` process on a free loopback port, for end-to-end tests."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.cli import QUIVER, without_quiver_settings
from tests.support.ports import free_port

ADMIN_TOKEN = "qvr_" + "E" * 43


@dataclass
class LiveServer:
    """A running server: its base URL, admin token and data directory."""

    url: str
    admin_token: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    log_path: Path

    def client(self, token: str | None = None) -> httpx.Client:
        """An httpx client on the server, with ``token`` (default: the admin's) as Bearer."""
        token = self.admin_token if token is None else token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def index_url(self, feed_ref: str, token: str | None = None, view: str | None = None) -> str:
        """The pip index URL of ``org/feed`` or ``org/project/feed``, credentials embedded."""
        return self._feed_url(feed_ref, token, view) + "/pypi/simple/"

    def upload_url(self, feed_ref: str) -> str:
        return self._feed_url(feed_ref, None, None) + "/pypi/upload/"

    def _feed_url(self, feed_ref: str, token: str | None, view: str | None) -> str:
        *scope, feed = feed_ref.split("/")
        if view:
            feed = f"{feed}@{view}"
        base = self.url
        if token:
            base = base.replace("http://", f"http://user:{token}@", 1)
        return f"{base}/{'/'.join(scope)}/_packaging/{feed}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def live_server(
    data_dir: Path,
    *,
    database_url: str | None = None,
    env: Mapping[str, str] | None = None,
    args: Sequence[str] = (),
) -> Iterator[LiveServer]:
    """Start ``quiver serve [ARGS]`` and wait until it answers; stop it (SIGTERM) afterwards."""
    server = start_server(data_dir, database_url=database_url, env=env, args=args)
    try:
        _wait_ready(server)
        yield server
    finally:
        stop_server(server)


@contextmanager
def live_servers(
    data_dirs: Sequence[Path],
    *,
    database_url: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Iterator[list[LiveServer]]:
    """Start one ``quiver serve`` per data directory all at once, then wait for each."""
    servers: list[LiveServer] = []
    try:
        for data_dir in data_dirs:
            servers.append(start_server(data_dir, database_url=database_url, env=env))
        for server in servers:
            _wait_ready(server)
        yield servers
    finally:
        for server in servers:
            stop_server(server)


def start_server(
    data_dir: Path,
    *,
    database_url: str | None = None,
    env: Mapping[str, str] | None = None,
    args: Sequence[str] = (),
) -> LiveServer:
    """Start ``quiver serve`` on a free port without waiting for it (see :func:`live_server`).

    ``env`` may set ``QUIVER_ADMIN_TOKEN`` to "" for a server that makes its own."""
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir.parent / f"server-{port}.log"
    child_env = without_quiver_settings()
    child_env.update(
        QUIVER_HOST="127.0.0.1",
        QUIVER_PORT=str(port),
        QUIVER_DATA_DIR=str(data_dir),
        QUIVER_ADMIN_TOKEN=ADMIN_TOKEN,
        QUIVER_LOG_LEVEL="warning",
    )
    if database_url:
        child_env["QUIVER_DATABASE_URL"] = database_url
    child_env.update(env or {})
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(QUIVER), "serve", *args], stdout=log, stderr=subprocess.STDOUT, env=child_env
        )
    admin_token = child_env["QUIVER_ADMIN_TOKEN"]
    return LiveServer(f"http://127.0.0.1:{port}", admin_token, data_dir, process, log_path)


def stop_server(server: LiveServer) -> None:
    """SIGTERM, then SIGKILL if it has not stopped within 15 seconds."""
    server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


def _wait_ready(server: LiveServer, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"quiver serve exited early:\n{server.log()}")
        try:
            if httpx.get(server.url + "/_apis/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"quiver serve did not become ready:\n{server.log()}")
