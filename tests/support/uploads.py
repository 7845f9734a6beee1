"""Publishing to and installing from live servers as the real clients do, and an upload that
is cut off by killing the server in the middle of its body.

Shared by the end-to-end tests of crash safety, backup and restore, and the scaled-out set-up.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.support.server import LiveServer
from tests.support.venvs import client_env, make_venv, run, uv_binary

__all__ = ["TWINE", "pip_install", "twine_upload", "upload_until_killed", "uv_publish"]

TWINE = str(Path(sys.executable).with_name("twine"))
BOUNDARY = "quiver-crash-test"
CHUNK = 256 * 1024


def twine_upload(server: LiveServer, feed: str, *files: Path) -> None:
    """``twine upload`` of ``files`` to ``feed`` on ``server``, as its admin."""
    env = client_env(
        {
            "TWINE_USERNAME": "admin",
            "TWINE_PASSWORD": server.admin_token,
            "TWINE_NON_INTERACTIVE": "1",
        }
    )
    command = [TWINE, "upload", "--disable-progress-bar", "--repository-url"]
    run([*command, server.upload_url(feed), *map(str, files)], env=env)


def uv_publish(server: LiveServer, feed: str, *files: Path) -> None:
    """``uv publish`` of ``files`` to ``feed`` on ``server``, as its admin."""
    env = client_env(
        {
            "UV_PUBLISH_USERNAME": "admin",
            "UV_PUBLISH_PASSWORD": server.admin_token,
            "UV_PUBLISH_URL": server.upload_url(feed),
        }
    )
    run([str(uv_binary()), "publish", *map(str, files)], env=env)


def pip_install(server: LiveServer, feed: str, venv_dir: Path, *names: str) -> dict[str, str]:
    """``pip install NAMES`` from ``feed`` on ``server`` (as its admin) into a new venv at
    ``venv_dir``; return what the venv then holds (see ``Venv.installed``)."""
    venv = make_venv(venv_dir)
    index = server.index_url(feed, server.admin_token)
    venv.pip("install", *names, env=client_env({"PIP_INDEX_URL": index}))
    return venv.installed()


def _multipart_head(filename: str) -> bytes:
    fields = "".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in ((":action", "file_upload"), ("protocol_version", "1"))
    )
    part = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="content"; '
        f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
    )
    return (fields + part).encode()


def upload_until_killed(server: LiveServer, feed: str, filename: str) -> Path:
    """Stream an upload of ``filename`` to ``feed`` on ``server`` slowly, and SIGKILL the server
    once 2 MiB of the file are in its ``data/tmp``; return that partial temporary file."""
    killed = threading.Event()
    tmp_dir = server.data_dir / "tmp"

    def body() -> Iterator[bytes]:
        yield _multipart_head(filename)
        for _ in range(400):  # slowly: 5 MiB/s, 100 MiB at most; the server dies long before
            if killed.is_set():
                return
            time.sleep(0.05)
            yield os.urandom(CHUNK)

    def send() -> None:
        headers = {
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "Authorization": f"Bearer {server.admin_token}",
        }
        with contextlib.suppress(httpx.HTTPError):  # the server is gone: that is the point
            httpx.post(server.upload_url(feed), content=body(), headers=headers, timeout=30)

    def partial() -> list[Path]:
        return [part for part in tmp_dir.glob("upload-*") if part.stat().st_size >= 8 * CHUNK]

    sender = threading.Thread(target=send)
    sender.start()
    try:
        deadline = time.monotonic() + 30
        while not partial():
            assert time.monotonic() < deadline, "the upload never reached the server's disk"
            time.sleep(0.02)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=10)
    finally:
        killed.set()
        sender.join(timeout=30)
    (found,) = partial()
    return found
