"""Retention policies through the ``quiver`` CLI, with pip confirming what the index holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.http.publishing import form_for
from tests.support import rest
from tests.support.cli import Cli, refused
from tests.support.dists import build_wheel
from tests.support.server import LiveServer
from tests.support.venvs import Venv, client_env, make_venv

pytestmark = pytest.mark.e2e
FEED = "acme/libs"


def publish(server: LiveServer, *paths: Path) -> None:
    with server.client() as client:
        for path in paths:
            data = path.read_bytes()
            response = client.post(
                server.upload_url(FEED),
                data=form_for(path, data),
                files={"content": (path.name, data, "application/octet-stream")},
            )
            assert response.status_code == 200, response.text


def pip_download(venv: Venv, server: LiveServer, where: Path, requirement: str) -> list[str]:
    """``pip download --no-deps requirement``: the files it got (none if it failed)."""
    env = client_env({"PIP_INDEX_URL": server.index_url(FEED, server.admin_token)})
    result = venv.pip("download", "--no-deps", "-d", str(where), requirement, env=env, check=False)
    return sorted(p.name for p in where.glob("*.whl")) if result.returncode == 0 else []


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.split("│")]


def test_retention_show_set_and_run(cli: Cli, tmp_path: Path) -> None:
    server = cli.server
    with server.client() as admin:
        rest.create_feed(admin, FEED)
        rest.create_user(admin, "dev")
        rest.set_role(admin, FEED, "dev", "contributor")
        dev = rest.create_token(admin, "dev", "packaging:write")
    publish(server, *(build_wheel(tmp_path / "d", "ret-me", v) for v in ("1.0", "2.0", "3.0")))
    venv = make_venv(tmp_path / "venv")
    assert pip_download(venv, server, tmp_path / "a", "ret-me") == ["ret_me-3.0-py3-none-any.whl"]

    shown, *refusals = cli.many(
        ["feed", "retention", "show", FEED],
        ["feed", "retention", "set", FEED],
        ["feed", "retention", "set", FEED, "--days", "1", "--clear-days"],
        ["feed", "retention", "set", FEED, "--max-versions", "0"],
    )
    assert shown.out.splitlines() == ["Max versions: -", "Days:         -"]
    assert "No retention policy" in shown.err
    for result, code, fragment in zip(
        refusals, (2, 2, 1), ("Nothing to set", "not both", "between 1"), strict=True
    ):
        refused(result, code, fragment)
    refused(cli("feed", "retention", "set", FEED, "--days", "3", token=dev), 1, "owner role")

    both = cli.ok("feed", "retention", "set", FEED, "--max-versions", "2", "--days", "30", "--json")
    assert both.json() == {"max_versions": 2, "days": 30}
    # Everything was added today: the days condition keeps it all.
    assert "Nothing would be deleted." in cli.ok("feed", "retention", "run", FEED, "--dry-run").err

    cli.ok("feed", "retention", "set", FEED, "--clear-days")
    assert cli.ok("feed", "retention", "show", FEED, "--json").json() == {
        "max_versions": 2,
        "days": None,
    }
    dry = cli.ok("feed", "retention", "run", FEED, "--dry-run")
    (row,) = [line for line in dry.out.splitlines() if "ret-me" in line]
    assert cells(row) == ["ret-me", "1.0", "older than the 2 newest versions"]
    assert "1 version(s) would go to the recycle bin; 2 kept." in dry.err
    assert pip_download(venv, server, tmp_path / "b", "ret-me==1.0")  # still there

    done = cli.ok("feed", "retention", "run", FEED, "--json").json()
    assert done["dry_run"] is False
    assert [(d["name"], d["version"]) for d in done["deleted"]] == [("ret-me", "1.0")]
    assert pip_download(venv, server, tmp_path / "c", "ret-me==1.0") == []  # gone
    again = cli.ok("feed", "retention", "run", FEED)
    assert "Nothing was deleted." in again.err

    # The run flushed the download counts first: 3.0 shows pip's download.
    versions = cli.ok("package", "versions", FEED, "ret-me").out.splitlines()
    assert "DOWNLOADS" in versions[0]
    (newest,) = [cells(line) for line in versions if "ret_me-3.0" in line]
    assert newest[-1].startswith("1 (last ")
