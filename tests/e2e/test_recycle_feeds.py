"""The feed recycle bin through the ``quiver`` CLI, with real pip and uv confirming it.

A deleted feed refuses installs with a sentence saying how to restore it (in the
status line, which pip shows); after ``quiver feed restore`` installs work again;
after ``quiver feed purge`` the name can be used for a new feed.
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
FEED = "acme/gone"


def publish(server: LiveServer, token: str, path: Path) -> None:
    data = path.read_bytes()
    with server.client(token) as client:
        response = client.post(
            server.upload_url(FEED),
            data=form_for(path, data),
            files={"content": (path.name, data, "application/octet-stream")},
        )
    assert response.status_code == 200, response.text


def pip_install(server: LiveServer, token: str, where: Path) -> tuple[int, str]:
    """``pip install -vv bin-me`` into a fresh venv: pip's exit status and output (``-vv``
    shows why an index page failed)."""
    venv = make_venv(where)
    env = client_env({"PIP_INDEX_URL": server.index_url(FEED, token)})
    result = venv.pip("install", "-vv", "bin-me", env=env, check=False)
    if result.returncode == 0:
        assert venv.installed()["bin-me"] == "1.0"
    return result.returncode, result.stdout + result.stderr


def uv_install(server: LiveServer, token: str, where: Path) -> tuple[int, str]:
    venv = make_venv(where, with_pip=False)
    env = client_env({"UV_DEFAULT_INDEX": server.index_url(FEED, token)})
    result = venv.uv_pip("install", "bin-me", env=env, check=False)
    return result.returncode, result.stdout + result.stderr


def test_delete_restore_and_purge_a_feed(cli: Cli, tmp_path: Path) -> None:
    server = cli.server
    with server.client() as admin:
        rest.create_feed(admin, FEED)
        rest.create_user(admin, "reader")
        rest.set_role(admin, FEED, "reader", "reader")
        reader = rest.create_token(admin, "reader", "packaging:read")
    wheel = build_wheel(tmp_path / "dists", "bin-me", "1.0")
    publish(server, server.admin_token, wheel)
    assert pip_install(server, reader, tmp_path / "before")[0] == 0

    deleted = cli.ok("feed", "delete", FEED, "--yes")
    assert "Moved feed acme/gone to the recycle bin" in deleted.err
    assert "`quiver feed restore acme/gone` until " in deleted.err

    # pip and uv fail; pip shows the sentence (the status line's reason), uv the status.
    code, output = pip_install(server, reader, tmp_path / "deleted-pip")
    assert code != 0
    assert "410" in output, output
    assert "Feed acme/gone was deleted on " in output, output
    assert "an owner can restore it with `quiver feed restore acme/gone`" in output
    code, output = uv_install(server, reader, tmp_path / "deleted-uv")
    assert code != 0
    assert "410" in output, output
    # twine shows the reason phrase of a refused upload: the same sentence.
    with server.client(server.admin_token) as client:
        data = wheel.read_bytes()
        upload = client.post(
            server.upload_url(FEED),
            data=form_for(wheel, data),
            files={"content": (wheel.name, data, "application/octet-stream")},
        )
    assert upload.status_code == 410
    assert upload.reason_phrase.startswith("Feed acme/gone was deleted on ")
    assert upload.reason_phrase == upload.json()["message"]

    listed, reserved, shown = cli.many(
        ["feed", "recycle-bin", "acme", "--json"],
        ["feed", "create", FEED],
        ["feed", "show", FEED, "--token", reader],
    )
    assert [(f["ref"], f["deleted_by"]) for f in listed.json()] == [(FEED, "admin")]
    refused(reserved, 1, "Feed acme/gone is in the recycle bin")
    refused(shown, 1, "was deleted on")

    restored = cli.ok("feed", "restore", FEED)
    assert "Restored feed acme/gone" in restored.err
    assert pip_install(server, reader, tmp_path / "restored-pip")[0] == 0
    assert uv_install(server, reader, tmp_path / "restored-uv")[0] == 0

    # Purge: only from the bin, only with --yes without a terminal; then the name is free.
    not_deleted, no_yes = cli.many(["feed", "purge", FEED, "--yes"], ["feed", "purge", FEED])
    refused(not_deleted, 1, "delete it first")
    refused(no_yes, 2, "--yes")
    cli.ok("feed", "delete", FEED, "-y")
    purged = cli.ok("feed", "purge", FEED, "--yes")
    assert "Purged feed acme/gone for good" in purged.err
    empty = cli.ok("feed", "recycle-bin", "acme")
    assert "No feeds of yours in the recycle bin of acme." in empty.err
    assert "Created feed acme/gone." in cli.ok("feed", "create", FEED).err
