"""``quiver mirror`` from a stand-in index (tests/support/mirror_index.py) into a real feed:
the exact closure per target, a dry run that sends nothing, a rerun that transfers nothing, a
killed run that resumes, and pip downloading every target's closure from the feed."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import rest
from tests.support.cli import QUIVER, Cli, Result
from tests.support.mirror_index import ROOT, SourceIndex, build_graph, serving, wheel_name
from tests.support.server import LiveServer
from tests.support.venvs import client_env

pytestmark = pytest.mark.e2e
PYTHONS = ("3.11", "3.12")
PLATFORMS = ("manylinux_2_28_x86_64", "win_amd64")
TARGETS = [(python, platform) for python in PYTHONS for platform in PLATFORMS]
JSON_V1 = "application/vnd.pypi.simple.v1+json"
PASSWORD = "source-s3cret"


def expected(python: str, platform: str) -> set[str]:
    """The files one target needs: rootpkg's closure plus srconly (an sdist only)."""
    files = {
        "rootpkg-1.0-py3-none-any.whl",
        "purelib-1.1-py3-none-any.whl",
        wheel_name("binlib", "2.0", python, platform),
        "newpy-1.0-py3-none-any.whl" if python == "3.11" else "newpy-2.0-py3-none-any.whl",
        "srconly-0.5.tar.gz",
    }
    if platform.startswith("win"):
        files.add("winonly-1.0-py3-none-any.whl")
    return files


ALL = set().union(*(expected(python, platform) for python, platform in TARGETS))


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SourceIndex]:
    directory = tmp_path_factory.mktemp("source")
    build_graph(directory)
    with serving(directory, password=PASSWORD) as running:
        yield running


def source_url(index: SourceIndex) -> str:
    return index.url.replace("http://", f"http://mirror:{PASSWORD}@")


def mirror_args(feed: str, cache: Path, *more: str) -> list[str]:
    return [
        "mirror", feed, ROOT, "srconly", "--python", ",".join(PYTHONS),
        "--platform", PLATFORMS[0], "--platform", PLATFORMS[1], "--cache-dir", str(cache),
        *more,
    ]  # fmt: skip


def run(cli: Cli, index: SourceIndex, *args: str) -> Result:
    result = cli(*args, env={"QUIVER_MIRROR_FROM": source_url(index)})
    assert PASSWORD not in result.out + result.err
    return result


def feed_files(server: LiveServer, feed: str) -> set[str]:
    """Every file the feed's simple index lists."""
    base = server.index_url(feed).removeprefix(server.url)
    found: set[str] = set()
    with server.client() as http:
        listing = http.get(base, params={"format": JSON_V1}).json()
        for project in listing["projects"]:
            page = http.get(f"{base}{project['name']}/", params={"format": JSON_V1}).json()
            found |= {entry["filename"] for entry in page["files"]}
    return found


def test_mirror_two_platforms_and_two_pythons(cli: Cli, index: SourceIndex, tmp_path: Path) -> None:
    feed = "acme/mirror"
    with cli.server.client() as admin:
        rest.create_feed(admin, feed)
    cache = tmp_path / "cache"
    before = index.downloads["quiver"]

    planned = run(cli, index, *mirror_args(feed, cache, "--dry-run", "--json"))
    assert planned.code == 0, planned
    plan = planned.json()
    for python, platform in TARGETS:
        label = f"cp{python.replace('.', '')}-{platform}"
        needed = {file["file"] for file in plan["files"] if label in file["targets"]}
        assert needed == expected(python, platform), label
    assert {file["in_feed"] for file in plan["files"]} == {"no"}
    assert plan["problems"] == []
    text = run(cli, index, *mirror_args(feed, cache, "--dry-run"))
    assert f"Would mirror {len(ALL)} files" in text.err, text
    assert "nothing was sent" in text.err
    assert index.downloads["quiver"] == before
    assert feed_files(cli.server, feed) == set()

    done = run(cli, index, *mirror_args(feed, cache, "--jobs", "3"))
    assert done.code == 0, done
    assert f"{feed}: {len(ALL)} published" in done.err
    assert feed_files(cli.server, feed) == ALL
    assert index.downloads["quiver"] == before + len(ALL)

    again = run(cli, index, *mirror_args(feed, cache))
    assert again.code == 0, again
    assert f"{feed}: {len(ALL)} already in feed" in again.err
    assert "Nothing was transferred" in again.err
    assert index.downloads["quiver"] == before + len(ALL)

    for python, platform in TARGETS:
        dest = tmp_path / f"pip-{python}-{platform}"
        # pip judges markers by the machine it runs on, not by --platform: name winonly.
        wanted = [ROOT, "winonly"] if platform.startswith("win") else [ROOT]
        command = [
            sys.executable, "-m", "pip", "download", "--quiet", "--dest", str(dest),
            "--platform", platform, "--python-version", python, "--only-binary", ":all:",
            "--index-url", cli.server.index_url(feed, cli.server.admin_token), *wanted,
        ]  # fmt: skip
        pip = subprocess.run(command, env=client_env(), capture_output=True, text=True)
        assert pip.returncode == 0, pip.stderr
        got = {path.name for path in dest.iterdir()}
        assert got == expected(python, platform) - {"srconly-0.5.tar.gz"}


def test_a_killed_mirror_resumes(cli: Cli, index: SourceIndex, tmp_path: Path) -> None:
    feed = "acme/resumed"
    with cli.server.client() as admin:
        rest.create_feed(admin, feed)
    cache = tmp_path / "cache"
    env = cli.environment(env={"QUIVER_MIRROR_FROM": source_url(index)})
    index.delay = 0.5
    try:
        process = subprocess.Popen(
            [str(QUIVER), *mirror_args(feed, cache, "--jobs", "1")],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while not [p for p in cache.glob("files/*") if not p.name.endswith(".part")]:
            assert process.poll() is None and time.monotonic() < deadline, "no file downloaded"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait()
    finally:
        index.delay = 0.0
    kept = {p.name for p in cache.glob("files/*") if not p.name.endswith(".part")}
    assert kept and kept < ALL
    assert feed_files(cli.server, feed) == set()

    counted = index.downloads["quiver"]
    resumed = run(cli, index, *mirror_args(feed, cache))
    assert resumed.code == 0, resumed
    assert feed_files(cli.server, feed) == ALL
    assert index.downloads["quiver"] - counted == len(ALL - kept)
    assert f"{len(kept)} taken from the cache" in resumed.err


def test_bad_arguments_exit_2_with_one_line(cli: Cli) -> None:
    cases = [
        (["--python", "3.11", "3.12"], "'3.12' is not a requirement"),
        (["--platform", "solaris_sparc"], "Unsupported platform 'solaris_sparc'"),
        (["--python", "3"], "Invalid Python version '3'"),
        (["--only-binary", "--include-sdists"], "--only-binary and --include-sdists exclude"),
        (["requests>>2"], "Invalid requirement"),
        (["--from", "ftp://x/"], "Invalid --from address"),
    ]
    results = cli.many(*(["mirror", "acme/any", ROOT, *args] for args, _ in cases))
    for (_, message), result in zip(cases, results, strict=True):
        assert result.code == 2, result
        assert result.err.startswith(f"error: {message}"), result
        assert len(result.err.strip().splitlines()) == 1
