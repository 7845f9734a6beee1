"""``quiver publish`` against a real server: what it publishes real pip installs, what the
feed already has is "already there" with --skip-existing, and refusals carry the server's
reason and the right exit code."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import rest
from tests.support.cli import Cli, Result, refused
from tests.support.dists import build_sdist, build_wheel
from tests.support.ports import free_port
from tests.support.venvs import client_env, make_venv

pytestmark = pytest.mark.e2e
NULL_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}


def team(cli: Cli, feed: str) -> tuple[str, str]:
    """A feed with a contributor and a reader: their tokens."""
    with cli.server.client() as admin:
        rest.create_feed(admin, feed)
        for user, role in (("dev", "contributor"), ("viewer", "reader")):
            rest.create_user(admin, user)
            rest.set_role(admin, feed, user, role)
        dev = rest.create_token(admin, "dev", "packaging:write")
        reader = rest.create_token(admin, "viewer", "packaging:read")
    return dev, reader


def rows(result: Result) -> dict[str, str]:
    """The summary table's rows: file name -> the rest of its line."""
    found: dict[str, str] = {}
    for line in result.out.splitlines():
        cells = [cell.strip() for cell in line.split("│")]
        if len(cells) >= 3:
            found[cells[0]] = " | ".join(cells[1:])
    return found


def packages(cli: Cli, feed: str) -> dict[str, int]:
    listed = cli.ok("package", "list", feed, "--json").json()
    return {item["name"]: item["files"] for item in listed}


def no_secret(result: Result, *tokens: str) -> None:
    for token in tokens:
        assert token not in result.out + result.err, result


def test_publish_a_directory_install_it_and_publish_it_again(cli: Cli, tmp_path: Path) -> None:
    feed = "acme/libs"
    dev, reader = team(cli, feed)
    dist = tmp_path / "dist"
    names = [
        build_wheel(dist, "alpha", "1.0").name,
        build_wheel(dist, "beta", "2.0", requires_dist=["alpha>=1"]).name,
        build_wheel(dist, "gamma", "0.3", tag="py2.py3-none-any").name,
        build_sdist(dist, "delta", "1.5").name,
    ]
    (dist / "README.txt").write_text("not a distribution; ignored in a directory\n")

    planned = cli("publish", feed, str(dist), "--dry-run", token=dev)
    assert planned.code == 0, planned
    assert set(rows(planned)) == set(names)
    assert "Would publish 4 files" in planned.err
    assert packages(cli, feed) == {}

    published = cli("publish", feed, str(dist), "--jobs", "3", token=dev)
    assert published.code == 0, published
    assert {name: row.split(" | ")[0] for name, row in rows(published).items()} == dict.fromkeys(
        names, "published"
    )
    assert "acme/libs: 4 published (4 files" in published.err
    assert packages(cli, feed) == {"alpha": 1, "beta": 1, "gamma": 1, "delta": 1}

    venv = make_venv(tmp_path / "venv")
    env = client_env({"PIP_INDEX_URL": cli.server.index_url(feed, reader)})
    venv.pip("install", "beta", "gamma", "delta", env=env)
    installed = venv.installed()
    assert (installed["alpha"], installed["beta"], installed["gamma"]) == ("1.0", "2.0", "0.3")
    assert installed["delta"] == "1.5"

    again = cli("publish", feed, str(dist), "--skip-existing", token=dev)
    assert again.code == 0, again
    assert all(row.startswith("already there") for row in rows(again).values())
    assert set(rows(again)) == set(names)
    assert "4 already there" in again.err

    refused_again = cli("publish", feed, str(dist), token=dev)
    assert refused_again.code == 1, refused_again
    for name in names:
        assert rows(refused_again)[name].startswith("refused"), refused_again
        assert f"File already exists: {name} is already in feed acme/libs." in refused_again.out
    assert "--skip-existing counts such files as already there" in refused_again.err

    by_reader = cli("publish", feed, str(dist / names[0]), token=reader)
    assert by_reader.code == 1, by_reader
    assert "refused" in rows(by_reader)[names[0]]
    assert "contributor role" in by_reader.out
    for result in (planned, published, again, refused_again, by_reader):
        no_secret(result, dev, reader)


def test_a_bad_file_is_refused_and_the_others_published(cli: Cli, tmp_path: Path) -> None:
    feed = "acme/other"
    dev, _ = team(cli, feed)
    dist = tmp_path / "dist"
    # Metadata that bends the spec is published; the server's warning is shown.
    good = build_wheel(
        dist, "good-one", "1.0", metadata_version="2.1", extra_metadata="X-Tool-Field: yes"
    )
    build_sdist(dist, "good-two", "1.0")
    broken = dist / "broken-1.0-py3-none-any.whl"
    broken.write_bytes(b"this is not a zip file")

    # A quoted pattern: the command expands it.
    result = cli("publish", feed, f"{dist}/*", token=dev)
    assert result.code == 1, result
    summary = rows(result)
    assert summary[broken.name].startswith("refused")
    assert "not a valid zip archive" in summary[broken.name]
    assert summary[good.name].startswith("published")
    assert summary["good_two-1.0.tar.gz"].startswith("published")
    assert "2 published, 1 refused" in result.err
    warned = [line for line in result.err.splitlines() if line.startswith("warning: ")]
    assert len(warned) == 1, result
    assert warned[0].startswith(f"warning: {good.name}: ") and "Unknown field" in warned[0]
    assert packages(cli, feed) == {"good-one": 1, "good-two": 1}

    # The same name with other bytes is refused even with --skip-existing.
    other = build_wheel(tmp_path / "other", "good-one", "1.0", module_code="changed = True\n")
    different = cli("publish", feed, str(other), "--skip-existing", token=dev)
    assert different.code == 1, different
    assert "The feed has a different file of that name" in rows(different)[other.name]
    no_secret(result, dev)
    no_secret(different, dev)


def test_saved_credentials_and_a_project_feed(cli: Cli, tmp_path: Path) -> None:
    feed = "acme/web/libs"
    dev, _ = team(cli, feed)
    login = cli("login", "--token", dev, cli.server.url, token=None, server=None, env=NULL_KEYRING)
    assert login.code == 0, login
    wheel = build_wheel(tmp_path, "webby", "1.0")
    result = cli("publish", feed, str(wheel), token=None, server=None, env=NULL_KEYRING)
    assert result.code == 0, result
    assert rows(result)[wheel.name].startswith("published")
    assert packages(cli, feed) == {"webby": 1}


def test_usage_errors_and_an_unreachable_server(cli: Cli, tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "dist", "lonely", "1.0")
    (tmp_path / "notes.txt").write_text("hi")
    missing, not_dist, bad_ref, empty_dir, no_server = cli.many(
        ["publish", "acme/libs", str(wheel), str(tmp_path / "missing.whl")],
        ["publish", "acme/libs", str(tmp_path / "notes.txt")],
        ["publish", "acme", str(wheel)],
        ["publish", "acme/libs", str(tmp_path / "dist" / "*.tar.gz")],
        ["publish", "acme/libs", str(wheel), "--server", ""],
    )
    refused(missing, 2, "No such file or directory", "missing.whl")
    refused(not_dist, 2, "notes.txt is not a distribution file")
    refused(bad_ref, 2, "acme")
    refused(empty_dir, 2, "matches no distribution file")
    assert no_server.code == 2, no_server

    nowhere = f"http://127.0.0.1:{free_port()}"
    unreachable = cli("publish", "acme/libs", str(wheel), server=nowhere)
    assert unreachable.code == 3, unreachable
    assert "Cannot reach" in rows(unreachable)[wheel.name]
    no_secret(unreachable, cli.server.admin_token)
