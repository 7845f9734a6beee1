"""The change feed, the audit log and batch operations through the ``quiver`` CLI.

One live server: ``quiver feed changes`` paged one change at a time by the printed
token, ``quiver package batch ... promote`` and uv installing the promoted
versions from ``FEED@release``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.http.publishing import form_for
from tests.support import rest
from tests.support.cli import Cli, Result, refused
from tests.support.dists import build_wheel
from tests.support.server import LiveServer
from tests.support.venvs import client_env, make_venv

pytestmark = pytest.mark.e2e
FEED = "acme/libs"
PREFIX = "Continuation token: "


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


def printed_token(result: Result) -> str:
    last = result.out.strip().splitlines()[-1]
    assert last.startswith(PREFIX), result
    return last.removeprefix(PREFIX)


def rows(result: Result) -> list[list[str]]:
    """The table's rows (not its header), cell by cell."""
    return [
        [cell.strip() for cell in line.split("│")]
        for line in result.out.splitlines()
        if "│" in line
    ]


def test_changes_paged_by_token_then_batch_promote(cli: Cli, tmp_path: Path) -> None:
    server = cli.server
    with server.client() as admin:
        rest.create_feed(admin, FEED)
    wheels = [build_wheel(tmp_path / "dists", n, v) for n, v in (("cf-a", "1.0"), ("cf-b", "2.0"))]
    publish(server, *wheels)

    # One change per page, following the printed token.
    seen: list[list[str]] = []
    token: str | None = None
    for _ in range(5):
        args = ["feed", "changes", FEED, "--batch-size", "1"]
        result = cli.ok(*args, *(["--continuation-token", token] if token else []))
        seen += rows(result)
        token = printed_token(result)
        if "No more changes" in result.err:
            break
    assert [(row[2], row[3], row[4]) for row in seen] == [
        ("publish", "cf-a", "1.0"),
        ("publish", "cf-b", "2.0"),
    ]
    assert token is not None
    assert seen[0][6] == wheels[0].name

    promoted = cli.ok(
        "package", "batch", FEED, "promote", "cf-a==1.0", "cf-b==2.0", "--view", "release"
    )
    assert "Promoted 2 versions in acme/libs@release" in promoted.err
    newer = cli.ok("feed", "changes", FEED, "--continuation-token", token, "--all", "--json").json()
    assert [(c["kind"], c["package"], c["view"]) for c in newer["changes"]] == [
        ("promote", "cf-a", "release"),
        ("promote", "cf-b", "release"),
    ]
    assert newer["has_more"] is False

    venv = make_venv(tmp_path / "release", with_pip=False)
    index = server.index_url(FEED, server.admin_token, "release")
    venv.uv_pip("install", "cf-a", "cf-b", env=client_env({"UV_DEFAULT_INDEX": index}))
    installed = venv.installed()
    assert (installed["cf-a"], installed["cf-b"]) == ("1.0", "2.0")

    # A batch with a failure: the rest is done, the command exits 1.
    mixed = cli("package", "batch", FEED, "demote", "cf-a==1.0", "cf-z==1.0", "--view", "release")
    refused(mixed, 1, "1 of 2 versions failed")
    assert "404: Package cf-z is not in feed acme/libs" in mixed.out
    refused(cli("package", "batch", FEED, "yank", "cf-a-1.0"), 2, "NAME==VERSION")

    audit = cli.ok("feed", "audit", FEED, "--kind", "demote", "--all", "--json").json()
    assert [(e["kind"], e["package"], e["actor"]) for e in audit["entries"]] == [
        ("demote", "cf-a", "admin")
    ]
    assert audit["entries"][0]["address"] == "127.0.0.1"
    table = cli.ok("feed", "audit", FEED, "--batch-size", "2")
    assert "More entries are waiting" in table.err
    assert "127.0.0.1" in table.out
    refused(cli("feed", "changes", FEED, "--continuation-token", "junk"), 1, "malformed")
