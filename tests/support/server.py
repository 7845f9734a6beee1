"""A real ``quiver serve`` process on a free loopback port, for end-to-end tests."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator, Mapping
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
    data_dir: Path, *, database_url: str | None = None, env: Mapping[str, str] | None = None
) -> Iterator[LiveServer]:
    """Start ``quiver serve`` and wait until it answers; stop it (SIGTERM) afterwards."""
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
            [str(QUIVER), "serve"], stdout=log, stderr=subprocess.STDOUT, env=child_env
        )
    server = LiveServer(f"http://127.0.0.1:{port}", ADMIN_TOKEN, data_dir, process, log_path)
    try:
        _wait_ready(server)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(server: LiveServer, timeout: float = 30.0) -> None:
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
