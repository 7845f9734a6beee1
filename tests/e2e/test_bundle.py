"""``quiver bundle`` between two real servers on separate data directories: a bundle for two
targets lists exactly their files, verifies, pushes and installs with pip on the far side,
pushes again sending nothing; ``--since`` leaves out what an earlier bundle had;
``--from-feed`` exports a feed; damaged or hostile bundles are refused, nothing published."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_mirror import PASSWORD, expected, feed_files, source_url
from tests.support import rest
from tests.support.cli import Cli, Result
from tests.support.mirror_index import ROOT, SourceIndex, build_graph, serving
from tests.support.server import LiveServer, live_server
from tests.support.venvs import client_env

pytestmark = pytest.mark.e2e
PYTHON = "3.12"
PLATFORMS = ("manylinux_2_28_x86_64", "win_amd64")
LABELS = {platform: f"cp312-{platform}" for platform in PLATFORMS}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SourceIndex]:
    directory = tmp_path_factory.mktemp("source")
    build_graph(directory)
    with serving(directory, password=PASSWORD) as running:
        yield running


@pytest.fixture(scope="module")
def far(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The server across the air gap: its own data directory."""
    with live_server(tmp_path_factory.mktemp("far") / "data") as running:
        yield running


@pytest.fixture
def far_cli(far: LiveServer, tmp_path: Path) -> Cli:
    return Cli(far, tmp_path / "far-config")


def create(cli: Cli, index: SourceIndex, out: Path, cache: Path, *more: str) -> Result:
    result = cli(
        "bundle", "create", str(out), ROOT, "--python", PYTHON, "--cache-dir", str(cache), *more,
        env={"QUIVER_MIRROR_FROM": source_url(index)},
    )  # fmt: skip
    assert PASSWORD not in result.out + result.err
    return result


def manifest_of(bundle: Path) -> dict[str, Any]:
    with tarfile.open(bundle) as tar:
        names = tar.getnames()
        handle = tar.extractfile("manifest.json")
        assert handle is not None
        body: dict[str, Any] = json.load(handle)
    assert names[0] == "manifest.json"
    files = body["files"]
    assert isinstance(files, list)
    assert sorted(names[1:]) == sorted(f"files/{entry['name']}" for entry in files)
    return body


def targets_by_file(body: dict[str, Any]) -> dict[str, set[str]]:
    files = body["files"]
    assert isinstance(files, list)
    return {entry["name"]: set(entry["targets"]) for entry in files}


def make_feed(server: LiveServer, ref: str) -> None:
    with server.client() as admin:
        rest.create_feed(admin, ref)


def test_bundle_for_two_targets_carried_to_a_second_server(
    cli: Cli, far_cli: Cli, index: SourceIndex, tmp_path: Path
) -> None:
    bundle, cache = tmp_path / "bundle.tar", tmp_path / "cache"
    args = ("--platform", ",".join(PLATFORMS))
    made = create(cli, index, bundle, cache, *args)
    assert made.code == 0, made
    body = manifest_of(bundle)
    wanted: dict[str, set[str]] = {}
    for platform in PLATFORMS:
        for name in expected(PYTHON, platform) - {"srconly-0.5.tar.gz"}:
            wanted.setdefault(name, set()).add(LABELS[platform])
    assert targets_by_file(body) == wanted
    assert set(body["targets"]) == set(LABELS.values())
    assert body["requirements"] == [ROOT]
    assert body["format"] == "quiver-bundle" and body["version"] == 1
    assert not list(tmp_path.glob(".bundle.tar.*"))  # no temporary left behind

    checked = cli("bundle", "verify", str(bundle))
    assert checked.code == 0, checked
    assert checked.out.startswith(f"OK: {bundle}: {len(wanted)} files")

    feed = "acme/carried"
    make_feed(far_cli.server, feed)
    pushed = far_cli("bundle", "push", str(bundle), feed)
    assert pushed.code == 0, pushed
    assert f"{feed}: {len(wanted)} published" in pushed.err
    assert feed_files(far_cli.server, feed) == set(wanted)
    for platform in PLATFORMS:
        dest = tmp_path / f"pip-{platform}"
        names = [ROOT, "winonly"] if platform.startswith("win") else [ROOT]
        command = [
            sys.executable, "-m", "pip", "download", "--quiet", "--dest", str(dest),
            "--platform", platform, "--python-version", PYTHON, "--only-binary", ":all:",
            "--index-url", far_cli.server.index_url(feed, far_cli.server.admin_token), *names,
        ]  # fmt: skip
        pip = subprocess.run(command, env=client_env(), capture_output=True, text=True)
        assert pip.returncode == 0, pip.stderr
        assert {p.name for p in dest.iterdir()} == expected(PYTHON, platform) - {
            "srconly-0.5.tar.gz"
        }

    again = far_cli("bundle", "push", str(bundle), feed)
    assert again.code == 0, again
    assert f"{feed}: {len(wanted)} already in feed" in again.err
    assert "Nothing was sent" in again.err


def test_since_leaves_out_what_the_earlier_bundle_had(
    cli: Cli, index: SourceIndex, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    first, second = tmp_path / "first.tar", tmp_path / "second.tar"
    assert create(cli, index, first, cache, "--platform", PLATFORMS[0]).code == 0
    made = create(
        cli, index, second, cache, "--platform", ",".join(PLATFORMS), "--since", str(first)
    )
    assert made.code == 0, made
    earlier = set(targets_by_file(manifest_of(first)))
    body = manifest_of(second)
    both = expected(PYTHON, PLATFORMS[0]) | expected(PYTHON, PLATFORMS[1])
    assert set(targets_by_file(body)) == both - earlier - {"srconly-0.5.tar.gz"}
    omitted = body["omitted"]
    assert isinstance(omitted, list)
    assert {entry["name"] for entry in omitted} == earlier
    # A manifest.json works as well as the bundle.
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(manifest_of(first)))
    third = tmp_path / "third.tar"
    assert (
        create(cli, index, third, cache, "--platform", PLATFORMS[0], "--since", str(manifest)).code
        == 0
    )
    assert targets_by_file(manifest_of(third)) == {}


def test_from_feed_exports_a_feed_into_another_server(
    cli: Cli, far_cli: Cli, index: SourceIndex, tmp_path: Path
) -> None:
    here, there = "acme/exported", "acme/imported"
    make_feed(cli.server, here)
    make_feed(far_cli.server, there)
    wheels = sorted(index.directory.glob("*.whl"))[:4]
    cli.ok("publish", here, *map(str, wheels))
    bundle = tmp_path / "feed.tar"
    made = cli("bundle", "create", str(bundle), "--from-feed", here,
               "--cache-dir", str(tmp_path / "cache"))  # fmt: skip
    assert made.code == 0, made
    assert set(targets_by_file(manifest_of(bundle))) == {w.name for w in wheels}
    pushed = far_cli("bundle", "push", str(bundle), there)
    assert pushed.code == 0, pushed
    assert feed_files(far_cli.server, there) == {w.name for w in wheels}
    # Another reader cannot export it: no token, a private feed.
    refused = cli("bundle", "create", str(tmp_path / "no.tar"), "--from-feed", here, token=None)
    assert refused.code == 1, refused
    assert not (tmp_path / "no.tar").exists()


# --- damaged and hostile bundles ---------------------------------------------------------


def good_bundle(index: SourceIndex, out: Path) -> list[str]:
    """A valid bundle of three wheels of the stand-in index, written by the engine."""
    from quiver.cli.bundle_manifest import Manifest, entries_of, write_bundle

    wheels = sorted(index.directory.glob("*.whl"))[:3]
    entries = entries_of([(path, ["cp312-win_amd64"]) for path in wheels])
    manifest = Manifest("quiver test", "2026-01-01T00:00:00Z", "test", (ROOT,), {}, tuple(entries))
    write_bundle(out, manifest, {path.name: path for path in wheels})
    return [path.name for path in wheels]


def flipped(path: Path, names: list[str]) -> str:
    with tarfile.open(path) as tar:
        offset = tar.getmember(f"files/{names[1]}").offset_data
    data = bytearray(path.read_bytes())
    data[offset + 10] ^= 0xFF
    path.write_bytes(bytes(data))
    return f"files/{names[1]}"


def truncated(path: Path, names: list[str]) -> str:
    with tarfile.open(path) as tar:
        member = tar.getmember(f"files/{names[-1]}")
    path.write_bytes(path.read_bytes()[: member.offset_data + member.size // 2])
    return f"files/{names[-1]}"


def appended(info: tarfile.TarInfo, data: bytes = b"") -> Callable[[Path, list[str]], str]:
    def change(path: Path, names: list[str]) -> str:
        with tarfile.open(path) as tar:
            members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]  # type: ignore[union-attr]
        with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
            for member, content in members[:2]:
                tar.addfile(member, io.BytesIO(content))
            info.size = len(data) if info.isreg() else 0
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
            for member, content in members[2:]:
                tar.addfile(member, io.BytesIO(content))
        return info.name

    return change


def symlink() -> tarfile.TarInfo:
    info = tarfile.TarInfo("files/link-1.0-py3-none-any.whl")
    info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
    return info


CORRUPTIONS = {
    "flipped byte": flipped,
    "truncated": truncated,
    "dot-dot member": appended(tarfile.TarInfo("../evil"), b"evil"),
    "symlink member": appended(symlink()),
    "unlisted member": appended(tarfile.TarInfo("files/extra-1.0-py3-none-any.whl"), b"x" * 50),
}


@pytest.mark.parametrize("kind", sorted(CORRUPTIONS))
def test_a_bad_bundle_is_refused_and_nothing_published(
    kind: str, far_cli: Cli, index: SourceIndex, tmp_path: Path
) -> None:
    bundle = tmp_path / "bad.tar"
    names = good_bundle(index, bundle)
    assert far_cli("bundle", "verify", str(bundle)).code == 0
    bad = CORRUPTIONS[kind](bundle, names)
    checked = far_cli("bundle", "verify", str(bundle))
    assert checked.code == 1, checked
    assert bad in checked.err and checked.err.startswith("error: "), checked
    feed = f"acme/bad-{kind.replace(' ', '-')}"
    make_feed(far_cli.server, feed)
    pushed = far_cli("bundle", "push", str(bundle), feed)
    assert pushed.code == 1, pushed
    assert bad in pushed.err
    assert feed_files(far_cli.server, feed) == set()


def test_usage_errors_exit_2(far_cli: Cli, tmp_path: Path) -> None:
    missing = far_cli("bundle", "verify", str(tmp_path / "none.tar"))
    assert missing.code == 2, missing
    assert "No such file" in missing.err
    both = far_cli("bundle", "create", str(tmp_path / "x.tar"), ROOT, "--from-feed", "acme/x")
    assert both.code == 2, both
    not_tar = tmp_path / "not.tar"
    not_tar.write_bytes(b"\x00garbage" * 100)
    assert far_cli("bundle", "verify", str(not_tar)).code == 1
