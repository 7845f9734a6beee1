"""Views end to end: promote with the ``quiver`` CLI, install from ``FEED@VIEW`` with pip and uv.

A real server process; pip and uv in fresh venvs with this machine's configuration
removed (``tests.support.venvs.client_env``), so only the feed (or view) can satisfy
an install.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.support import rest
from tests.support.cli import Cli, refused
from tests.support.dists import build_wheel
from tests.support.server import LiveServer
from tests.support.venvs import client_env, make_venv, run

pytestmark = pytest.mark.e2e
FEED = "acme/libs"
TWINE = str(Path(sys.executable).with_name("twine"))


@pytest.fixture(scope="module")
def published(cli_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    """acme/libs with pkg-views 1.0 and 2.0, published with twine."""
    out = tmp_path_factory.mktemp("dists")
    wheels = [str(build_wheel(out, "pkg-views", v)) for v in ("1.0", "2.0")]
    with cli_server.client() as admin:
        rest.create_feed(admin, FEED)
    env = client_env(
        {
            "TWINE_USERNAME": "admin",
            "TWINE_PASSWORD": cli_server.admin_token,
            "TWINE_NON_INTERACTIVE": "1",
        }
    )
    upload = [TWINE, "upload", "--disable-progress-bar", "--repository-url"]
    run([*upload, cli_server.upload_url(FEED), *wheels], env=env)
    return FEED


def test_promote_then_install_from_the_release_view(
    cli: Cli, published: str, tmp_path: Path
) -> None:
    server = cli.server
    listed = cli.ok("view", "list", FEED, "--json").json()
    assert [v["name"] for v in listed] == ["local", "prerelease", "release"]
    cli.ok("package", "promote", FEED, "pkg-views", "1.0", "release")
    versions = cli.ok("package", "versions", FEED, "pkg-views", "--json").json()
    assert {v["version"]: v["views"] for v in versions["versions"]} == {
        "1.0": ["local", "release"],
        "2.0": ["local"],
    }
    shown = cli.ok("package", "versions", FEED, "pkg-views").out
    assert "local, release" in shown
    token = server.admin_token
    venv = make_venv(tmp_path / "release")
    venv.pip(
        "install",
        "pkg-views",
        env=client_env({"PIP_INDEX_URL": server.index_url(FEED, token, "release")}),
    )
    assert venv.installed()["pkg-views"] == "1.0"
    whole = make_venv(tmp_path / "feed")
    whole.pip(
        "install", "pkg-views", env=client_env({"PIP_INDEX_URL": server.index_url(FEED, token)})
    )
    assert whole.installed()["pkg-views"] == "2.0"
    uv_venv = make_venv(tmp_path / "uv", with_pip=False)
    uv_venv.uv_pip(
        "install",
        "pkg-views",
        env=client_env({"UV_INDEX_URL": server.index_url(FEED, token, "release")}),
    )
    assert uv_venv.installed()["pkg-views"] == "1.0"
    # Pinned to a version the view does not have: not found there.
    pinned = venv.pip(
        "install",
        "pkg-views==2.0",
        env=client_env({"PIP_INDEX_URL": server.index_url(FEED, token, "release")}),
        check=False,
    )
    assert pinned.returncode != 0


def test_view_commands(cli: Cli, published: str) -> None:
    cli.ok("view", "create", FEED, "staging", "--visibility", "organization")
    shown = cli.ok("view", "rename", FEED, "staging", "qa", "--json").json()
    assert shown["name"] == "qa"
    assert shown["visibility"] == "organization"
    table = cli.ok("view", "list", FEED).out
    assert "qa" in table
    assert "organization" in table
    refused(cli("view", "create", FEED, "local"), 1, "local")
    refused(cli("view", "rename", FEED, "nope", "x"), 1, "View nope does not exist")
    cli.ok("package", "promote", FEED, "pkg-views", "2.0", "qa")
    demoted = cli.ok("package", "demote", FEED, "pkg-views", "2.0", "qa")
    assert "Demoted pkg-views 2.0 from acme/libs@qa" in demoted.err
    refused(cli("package", "demote", FEED, "pkg-views", "2.0", "qa"), 1, "not in view")
    cli.ok("view", "delete", FEED, "qa")
    names = [v["name"] for v in cli.ok("view", "list", FEED, "--json").json()]
    assert names == ["local", "prerelease", "release"]
