"""Delete, restore and purge a version through the ``quiver`` CLI, with real pip, uv and twine.

A deleted version is gone for pip and uv (even pinned) and comes back after a restore;
once purged, its filename can never be published again (twine shows the 409's reason).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.support import rest
from tests.support.cli import Cli, refused
from tests.support.dists import build_wheel
from tests.support.server import LiveServer
from tests.support.venvs import Venv, client_env, make_venv, run

pytestmark = pytest.mark.e2e
FEED = "acme/libs"
NAME = "recycle-me"
TWINE = str(Path(sys.executable).with_name("twine"))


def twine_upload(server: LiveServer, token: str, *paths: Path, check: bool = True) -> str:
    """``twine upload``: its output, on one line (twine wraps the server's reason)."""
    env = client_env(
        {"TWINE_USERNAME": "anything", "TWINE_PASSWORD": token, "TWINE_NON_INTERACTIVE": "1"}
    )
    command = [TWINE, "upload", "--disable-progress-bar", "--repository-url"]
    result = run([*command, server.upload_url(FEED), *map(str, paths)], env=env, check=check)
    return " ".join((result.stdout + result.stderr).split())


def pip_install(venv: Venv, server: LiveServer, token: str, requirement: str) -> tuple[int, str]:
    env = client_env({"PIP_INDEX_URL": server.index_url(FEED, token)})
    result = venv.pip("install", "--force-reinstall", requirement, env=env, check=False)
    return result.returncode, result.stdout + result.stderr


def uv_install(venv: Venv, server: LiveServer, token: str, requirement: str) -> str:
    env = client_env({"UV_DEFAULT_INDEX": server.index_url(FEED, token)})
    venv.uv_pip("install", "--reinstall", requirement, env=env)
    return venv.installed()[NAME]


def test_delete_restore_and_purge_with_pip_uv_and_twine(cli: Cli, tmp_path: Path) -> None:
    with cli.server.client() as admin:
        rest.create_feed(admin, FEED)
        rest.create_user(admin, "dev")
        rest.set_role(admin, FEED, "dev", "contributor")
        dev = rest.create_token(admin, "dev", "packaging:write")
    server = cli.server
    wheels = [build_wheel(tmp_path / "dists", NAME, v) for v in ("1.0", "2.0")]
    twine_upload(server, dev, *wheels)
    pip_venv = make_venv(tmp_path / "pip")
    uv_venv = make_venv(tmp_path / "uv", with_pip=False)
    assert pip_install(pip_venv, server, dev, f"{NAME}==2.0")[0] == 0

    # Owners delete; a contributor may not.
    refused(cli("package", "delete", FEED, NAME, "2.0", token=dev), 1, "owner role")
    deleted = cli.ok("package", "delete", FEED, NAME, "2.0", "--reason", "Broken build")
    assert f"Deleted {NAME} 2.0 from {FEED}: it is in the recycle bin until" in deleted.err
    assert f"Restore it with: quiver package restore {FEED} {NAME} 2.0" in deleted.err
    assert deleted.out.split() == [wheels[1].name]
    shown = cli.ok("package", "recycle-bin", FEED).out
    assert NAME in shown and "2.0" in shown and "admin" in shown
    [entry] = cli.ok("package", "recycle-bin", FEED, "--json").json()
    assert (entry["package"], entry["version"], entry["files"]) == (NAME, "2.0", [wheels[1].name])

    # Gone for pip (even pinned) and for uv, which installs 1.0.
    code, output = pip_install(pip_venv, server, dev, f"{NAME}==2.0")
    assert code != 0
    assert "no matching distribution" in output.lower(), output
    assert uv_install(uv_venv, server, dev, NAME) == "1.0"

    # Restored: back for both.
    restored = cli.ok("package", "restore", FEED, NAME, "2")
    assert f"Restored {NAME} 2.0 in {FEED}" in restored.err
    assert pip_install(pip_venv, server, dev, f"{NAME}==2.0")[0] == 0
    assert pip_venv.installed()[NAME] == "2.0"
    assert uv_install(uv_venv, server, dev, NAME) == "2.0"
    refused(cli("package", "restore", FEED, NAME, "2.0"), 1, "not in the recycle bin")

    # Purge only from the bin; then the filename can never come back.
    refused(
        cli("package", "purge", FEED, NAME, "2.0"),
        1,
        f"delete it first. Delete it first with: quiver package delete {FEED} {NAME} 2.0",
    )
    cli.ok("package", "delete", FEED, NAME, "2.0")
    refused_upload = twine_upload(server, dev, wheels[1], check=False)
    assert "409" in refused_upload and "recycle bin" in refused_upload, refused_upload
    # The server names no command; the CLI adds how to restore the version.
    hint = f"Restore it with: quiver package restore {FEED} {NAME} 2.0"
    refused(cli("package", "yank", FEED, NAME, "2.0"), 1, "restore it first.", hint)
    published = cli("publish", FEED, str(wheels[1]))
    assert published.code == 1, published
    assert "Restore that version" in published.err + published.out, published
    assert hint in " ".join((published.err + published.out).split()), published
    purged = cli.ok("package", "purge", FEED, NAME, "2.0")
    assert f"Purged {NAME} 2.0 from {FEED} for good" in purged.err
    assert "empty" in cli.ok("package", "recycle-bin", FEED).err
    refused_upload = twine_upload(server, dev, wheels[1], check=False)
    assert "409" in refused_upload, refused_upload
    assert "can never be reused" in refused_upload, refused_upload
    assert uv_install(uv_venv, server, dev, NAME) == "1.0"
