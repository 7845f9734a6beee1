"""The CLI for upstream sources, feed settings and package versions: the real ``quiver``
executable against a real server process (one for the module: the ``cli`` fixture)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.http.publishing import form_for
from tests.support.cli import Cli, refused
from tests.support.dists import build_wheel
from tests.support.fake_index import FakeIndex, Reply, json_reply

pytestmark = pytest.mark.e2e


def test_upstream_commands(cli: Cli) -> None:
    cli.ok("org", "create", "up")
    cli.ok("feed", "create", "up/shared")
    created = cli.ok(
        "feed", "create", "up/libs", "--upstream", "pypi",
        "--upstream", "shared=up/shared@local",
        "--upstream", "mirror=https://Mirror.example/simple", "--json",
    )  # fmt: skip
    assert created.json()["ref"] == "up/libs"
    assert created.json()["readers_can_save"] is False
    assert "Upstream source 1: pypi (https://pypi.org/simple/)" in created.err
    assert "Upstream source 3: mirror (https://mirror.example/simple/)" in created.err

    listed = cli.ok("feed", "upstream", "list", "up/libs", "--json").json()
    assert [(u["name"], u["kind"], u["url"] or u["feed"]) for u in listed] == [
        ("pypi", "index", "https://pypi.org/simple/"),
        ("shared", "feed", "up/shared@local"),
        ("mirror", "index", "https://mirror.example/simple/"),
    ]

    # Passwords come from the environment or stdin, never the command line.
    secret, piped = "env-secret-123", "stdin-secret-456"
    added = cli.ok(
        "feed", "upstream", "add", "up/libs", "corp", "https://corp.example/simple/",
        "--username", "bot", "--password-env", "CORP_PW",
        env={"CORP_PW": secret},
    )  # fmt: skip
    assert "Added upstream source corp (https://corp.example/simple/) to up/libs at position 4" in (
        added.err
    )
    cli.ok(
        "feed", "upstream", "add", "up/libs", "extra", "https://extra.example/simple/",
        "--password-stdin", stdin=piped + "\n",
    )  # fmt: skip
    table = cli.ok("feed", "upstream", "list", "up/libs")
    assert "corp" in table.out
    assert "bot" in table.out
    for shown in (table.out, table.err, added.out, added.err, cli.server.log()):
        assert secret not in shown
        assert piped not in shown

    add = ("feed", "upstream", "add", "up/libs")
    in_url, missing_env, cycle, ftp, twice, view = cli.many(
        [*add, "x", "https://u:pw@x.example/simple/"],
        [*add, "x", "https://x.example/", "--password-env", "NOPE_X"],
        [*add, "self", "up/libs"],
        [*add, "bad", "ftp://x.example/"],
        [*add, "pypi", "pypi"],
        [*add, "v", "up/shared@nope"],
    )
    refused(in_url, 2, "password")
    refused(missing_env, 2, "NOPE_X")
    refused(cycle, 1, "cycle")
    refused(ftp, 1, "https://")
    refused(twice, 1, "already has")
    refused(view, 1, "view nope")

    moved = cli.ok("feed", "upstream", "move", "up/libs", "corp", "1")
    assert "Moved upstream source corp of up/libs to position 1" in moved.err
    (first_row,) = [line for line in moved.out.splitlines() if line.strip().startswith("1 ")]
    assert "corp" in first_row
    refused(cli("feed", "upstream", "move", "up/libs", "corp", "9"), 1, "between 1 and 5")
    removed = cli.ok("feed", "upstream", "remove", "up/libs", "mirror")
    assert "Removed upstream source mirror from up/libs" in removed.err
    names = [u["name"] for u in cli.ok("feed", "upstream", "list", "up/libs", "--json").json()]
    assert names == ["corp", "pypi", "shared", "extra"]
    refused(cli("feed", "upstream", "remove", "up/libs", "mirror"), 1, "no upstream source")

    # feed create: a bad --upstream is a usage error, or the server's refusal.
    nonsense, ftp, empty = cli.many(
        ["feed", "create", "up/other", "--upstream", "nonsense"],
        ["feed", "create", "up/other", "--upstream", "x=ftp://a.example/"],
        ["feed", "create", "up/plain"],
    )
    refused(nonsense, 2, "NAME=URL")
    refused(ftp, 1, "http")
    assert empty.code == 0, empty
    assert "Upstream source" not in empty.err
    missing, none = cli.many(["feed", "show", "up/other"], ["feed", "upstream", "list", "up/plain"])
    refused(missing, 1, "does not exist")
    assert "no upstream sources" in none.err


def test_feed_update(cli: Cli) -> None:
    cli.ok("org", "create", "upd")
    cli.ok("feed", "create", "upd/libs", "--description", "first")
    shown = cli.ok("feed", "update", "upd/libs", "--readers-can-save")
    assert "Updated feed upd/libs" in shown.err
    assert "Readers can save: yes" in shown.out
    assert "first" in shown.out
    changed = cli.ok(
        "feed", "update", "upd/libs", "--no-readers-can-save", "--visibility", "organization",
        "--description", "second", "--json",
    ).json()  # fmt: skip
    assert changed["readers_can_save"] is False
    assert changed["visibility"] == "organization"
    assert changed["description"] == "second"
    cleared, nothing, bad = cli.many(
        ["feed", "update", "upd/libs", "--description", "", "--json"],
        ["feed", "update", "upd/libs"],
        ["feed", "update", "upd/libs", "--visibility", "secret"],
    )
    assert cleared.json()["description"] is None
    assert cleared.json()["readers_can_save"] is False
    refused(nothing, 2, "nothing to change")
    refused(bad, 1, "visibility")


def test_package_versions_and_upstreaming(cli: Cli, tmp_path: Path) -> None:
    cli.ok("org", "create", "pkg")
    cli.ok("feed", "create", "pkg/libs", "--upstream", "pypi")
    wheels = [build_wheel(tmp_path, "hello-up", version) for version in ("1.0", "1.10", "1.9")]
    with cli.server.client() as http:
        for wheel in wheels:
            response = http.post(
                cli.server.upload_url("pkg/libs"),
                data=form_for(wheel),
                files={"content": (wheel.name, wheel.read_bytes())},
            )
            assert response.status_code == 200, response.text

    listed, versions, table, unknown, behavior, always, nope = cli.many(
        ["package", "list", "pkg/libs", "--json"],
        ["package", "versions", "pkg/libs", "Hello_Up", "--json"],
        ["package", "versions", "pkg/libs", "hello-up"],
        ["package", "versions", "pkg/libs", "nope"],
        ["package", "upstreaming", "pkg/libs", "hello-up"],
        ["package", "upstreaming", "pkg/libs", "hello-up", "always"],
        ["package", "upstreaming", "pkg/libs", "nope", "default"],
    )
    assert [(p["name"], p["versions"], p["files"]) for p in listed.json()] == [("hello-up", 3, 3)]
    found = versions.json()
    assert [v["version"] for v in found["versions"]] == ["1.0", "1.9", "1.10"]
    assert {f["origin"] for v in found["versions"] for f in v["files"]} == {"local"}
    assert "upstream behaviour: default" in table.err
    rows = [line for line in table.out.splitlines() if wheels[0].name in line]
    assert len(rows) == 1
    assert "local (by admin)" in rows[0]
    refused(unknown, 1, "not in feed pkg/libs")
    assert behavior.out == "default\n"
    refused(always, 1, "default")
    refused(nope, 1, "not in feed")

    changed = cli.ok("package", "upstreaming", "pkg/libs", "hello-up", "allow-external-versions")
    assert changed.out == "allow-external-versions\n"
    assert "is now allow-external-versions" in changed.err
    shown, table = cli.many(
        ["package", "upstreaming", "pkg/libs", "hello-up", "--json"],
        ["package", "versions", "pkg/libs", "hello-up"],
    )
    assert shown.json() == {"name": "hello-up", "behavior": "allow-external-versions"}
    assert "upstream behaviour: allow-external-versions" in table.err


def test_upstream_list_shows_each_sources_health(cli: Cli) -> None:
    """The HEALTH column and --json's fields, after the server fetched from a fake index."""
    secret = "list-secret-789"
    with FakeIndex() as index:
        index.route("/simple/down/", Reply(500, b"down", {"Content-Type": "text/plain"}))
        page = {"meta": {"api-version": "1.1"}, "name": "fine", "files": []}
        index.route("/simple/fine/", json_reply(page))
        cli.ok("org", "create", "hl")
        cli.ok("feed", "create", "hl/shared")
        cli.ok("feed", "create", "hl/libs", "--upstream", "shared=hl/shared@local")
        cli.ok(
            "feed", "upstream", "add", "hl/libs", "fake", index.url + "/simple/",
            "--username", "bot", "--password-env", "FAKE_PW", env={"FAKE_PW": secret},
        )  # fmt: skip
        fresh = cli.ok("feed", "upstream", "list", "hl/libs")
        assert "HEALTH" in fresh.out and "unchecked" in fresh.out and "local" in fresh.out

        with cli.server.client() as http:
            assert http.get(cli.server.index_url("hl/libs") + "down/").status_code == 404
        failing, as_json = cli.many(
            ["feed", "upstream", "list", "hl/libs"],
            ["feed", "upstream", "list", "hl/libs", "--json"],
        )
        sentence = f"Upstream {index.url}/simple/down/ answered 500."
        row = " ".join(line.strip() for line in failing.out.splitlines())
        assert "error at " in row and sentence in row.replace("│ ", "").replace(" │", "")
        fake = as_json.json()[1]
        assert fake["health"] == "error" and fake["last_error"] == sentence
        assert fake["last_error_at"] and fake["last_ok_at"] is None
        assert as_json.json()[0]["health"] == "local"

        with cli.server.client() as http:
            assert http.get(cli.server.index_url("hl/libs") + "fine/").status_code == 404
        recovered = cli.ok("feed", "upstream", "list", "hl/libs", "--json").json()[1]
        assert recovered["health"] == "ok" and recovered["last_ok_at"]
        assert recovered["last_error"] == sentence  # kept as history
        table = cli.ok("feed", "upstream", "list", "hl/libs").out
        assert "ok, refreshed" in table
        for shown in (failing.out, as_json.out, table, cli.server.log()):
            assert secret not in shown
