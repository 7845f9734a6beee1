"""Yank and un-yank through the ``quiver`` CLI, with real pip and uv confirming what it means.

A yanked version is skipped by ``pip install pkg`` and ``uv pip install pkg`` but still
installed when pinned exactly (``pkg==2.0``); after un-yanking it is chosen again.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.http.publishing import form_for
from tests.support import rest
from tests.support.cli import Cli, refused
from tests.support.dists import build_wheel
from tests.support.server import LiveServer
from tests.support.venvs import client_env, make_venv

pytestmark = pytest.mark.e2e
FEED = "acme/libs"
REASON = "Broken on import: use 1.0"


def publish(server: LiveServer, token: str, *paths: Path) -> None:
    with server.client(token) as client:
        for path in paths:
            data = path.read_bytes()
            response = client.post(
                server.upload_url(FEED),
                data=form_for(path, data),
                files={"content": (path.name, data, "application/octet-stream")},
            )
            assert response.status_code == 200, response.text


def pip_installs(server: LiveServer, token: str, where: Path, requirement: str) -> tuple[str, str]:
    """``pip install requirement`` into a fresh venv: the version installed, and pip's output."""
    venv = make_venv(where)
    env = client_env({"PIP_INDEX_URL": server.index_url(FEED, token)})
    result = venv.pip("install", requirement, env=env)
    return venv.installed()["yank-me"], result.stdout + result.stderr


def uv_installs(server: LiveServer, token: str, where: Path, requirement: str) -> tuple[str, str]:
    """``uv pip install requirement`` into a fresh venv: the version installed, and output."""
    venv = make_venv(where, with_pip=False)
    env = client_env({"UV_DEFAULT_INDEX": server.index_url(FEED, token)})
    result = venv.uv_pip("install", requirement, env=env)
    return venv.installed()["yank-me"], result.stdout + result.stderr


def test_yanked_version_is_skipped_unless_pinned(cli: Cli, tmp_path: Path) -> None:
    with cli.server.client() as admin:
        rest.create_feed(admin, FEED)
        rest.create_user(admin, "dev")
        rest.create_user(admin, "reader")
        rest.set_role(admin, FEED, "dev", "contributor")
        rest.set_role(admin, FEED, "reader", "reader")
        dev = rest.create_token(admin, "dev", "packaging:write")
        reader = rest.create_token(admin, "reader", "packaging:read")
    server = cli.server
    publish(
        server,
        dev,
        build_wheel(tmp_path / "dists", "yank-me", "1.0"),
        build_wheel(tmp_path / "dists", "yank-me", "2.0"),
    )
    assert pip_installs(server, reader, tmp_path / "before", "yank-me")[0] == "2.0"

    # A reader may not yank; the contributor does, with a reason.
    refused(cli("package", "yank", FEED, "yank-me", "2.0", token=reader), 1, "contributor role")
    yanked = cli.ok("package", "yank", FEED, "yank-me", "2.0", "--reason", REASON, token=dev)
    assert yanked.out.strip() == f"2.0 yanked ({REASON})"
    assert "Yanked yank-me 2.0 in acme/libs." in yanked.err
    shown = cli.ok("package", "versions", FEED, "yank-me", token=reader).out
    assert f"2.0 yanked ({REASON})" in shown
    listed = cli.ok("package", "versions", FEED, "yank-me", "--json", token=reader).json()
    assert [(v["version"], v["yanked"], v["yanked_reason"]) for v in listed["versions"]] == [
        ("1.0", False, None),
        ("2.0", True, REASON),
    ]

    # pip: skipped unless pinned exactly; the pin installs it with a warning naming the reason.
    assert pip_installs(server, reader, tmp_path / "pip-any", "yank-me")[0] == "1.0"
    version, output = pip_installs(server, reader, tmp_path / "pip-pin", "yank-me==2.0")
    assert version == "2.0"
    assert "yanked" in output.lower() and REASON in output, output
    # uv: the same.
    assert uv_installs(server, reader, tmp_path / "uv-any", "yank-me")[0] == "1.0"
    version, output = uv_installs(server, reader, tmp_path / "uv-pin", "yank-me==2.0")
    assert version == "2.0"
    assert "yanked" in output.lower(), output

    # Un-yank: 2.0 is chosen again.
    unyanked = cli.ok("package", "unyank", FEED, "yank-me", "2.0", token=dev)
    assert unyanked.out.strip() == "2.0"
    assert pip_installs(server, reader, tmp_path / "pip-after", "yank-me")[0] == "2.0"
    assert uv_installs(server, reader, tmp_path / "uv-after", "yank-me")[0] == "2.0"

    missing = cli("package", "yank", FEED, "yank-me", "3.0", token=dev)
    refused(missing, 1, "Version 3.0 of yank-me is not in feed acme/libs.")
