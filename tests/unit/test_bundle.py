"""The bundle format without a server: the manifest reader refuses every malformed field, a
bundle is written whole or not at all, and the checker refuses hostile tars naming the
member (links, devices, absolute and ``..`` paths, unlisted, duplicated, resized, damaged,
missing and truncated files)."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from quiver.cli import bundle as engine
from quiver.cli import mirror
from quiver.cli.bundle_manifest import (
    BadBundle,
    Entry,
    Manifest,
    check_bundle,
    entries_of,
    read_manifest,
    write_bundle,
)
from quiver.cli.client import ConfigError
from quiver.cli.mirror_sources import SourceFile
from quiver.cli.mirror_targets import Target

SHA = "a" * 64


def body(**changes: Any) -> dict[str, Any]:
    good: dict[str, Any] = {
        "format": "quiver-bundle",
        "version": 1,
        "tool": "quiver 1",
        "created": "2026-01-01T00:00:00Z",
        "source": "https://pypi.org/simple/",
        "requirements": ["lib"],
        "targets": {"cp312-win_amd64": [{"name": "lib", "version": "1.0"}]},
        "files": [
            {
                "name": "lib-1.0-py3-none-any.whl",
                "sha256": SHA,
                "size": 3,
                "targets": ["cp312-win_amd64"],
            }
        ],
        "omitted": [],
        "since": None,
    }
    good.update(changes)
    return good


def parse(value: Any) -> Manifest:
    return Manifest.parse(json.dumps(value).encode())


def test_a_manifest_round_trips() -> None:
    manifest = parse(body())
    assert manifest.files == (Entry("lib-1.0-py3-none-any.whl", SHA, 3, ("cp312-win_amd64",)),)
    assert manifest.resolutions == {"cp312-win_amd64": (("lib", "1.0"),)}
    assert Manifest.parse(manifest.to_json()) == manifest
    assert manifest.hashes == {SHA}


def entry(**changes: Any) -> dict[str, Any]:
    return {"name": "lib-1.0-py3-none-any.whl", "sha256": SHA, "size": 3, **changes}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"format": "zip"}, "not a quiver bundle manifest"),
        ({"version": 2}, "format version 2"),
        ({"files": {}}, "files is not a list"),
        ({"files": [entry(name="../evil.whl")]}, "is not a distribution's name"),
        ({"files": [entry(name="/etc/passwd")]}, "is not a distribution's name"),
        ({"files": [entry(name="a/b-1.0.tar.gz")]}, "is not a distribution's name"),
        ({"files": [entry(name="notes.txt")]}, "is not a distribution's name"),
        ({"files": [entry(name=7)]}, "is not a distribution's name"),
        ({"files": [entry(sha256="A" * 64)]}, "no valid sha256"),
        ({"files": [entry(sha256=None)]}, "no valid sha256"),
        ({"files": [entry(size=-1)]}, "no valid size"),
        ({"files": [entry(size=True)]}, "no valid size"),
        ({"files": [entry(), entry()]}, "twice"),
        ({"files": [entry(targets="all")]}, "is not a list"),
        ({"targets": []}, "targets is not an object"),
        ({"targets": {"x": [{"name": 1, "version": "1"}]}}, "pin's name"),
        ({"requirements": "lib"}, "requirements is not a list"),
        ({"tool": "x" * 2000}, "tool is not a string"),
        ({"omitted": [entry(sha256="z")]}, "no valid sha256"),
    ],
)
def test_a_bad_manifest_is_refused_saying_why(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(BadBundle, match=message.replace("(", r"\(")) as caught:
        parse(body(**changes))
    assert caught.value.exit_code == 1


@pytest.mark.parametrize("data", [b"", b"{", b"[]", b"\xff\xfe", b"null"])
def test_a_manifest_that_is_not_json_or_not_an_object_is_refused(data: bytes) -> None:
    with pytest.raises(BadBundle):
        Manifest.parse(data)


# --- bundles on disk ---------------------------------------------------------------------


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    made = []
    for name, content in [("a-1.0-py3-none-any.whl", b"aaa"), ("b-2.0.tar.gz", b"b" * 5000)]:
        path = tmp_path / "src" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(content)
        made.append(path)
    return made


def make(tmp_path: Path, files: list[Path]) -> tuple[Path, Manifest]:
    entries = entries_of([(path, ["t"]) for path in files])
    manifest = Manifest("quiver 1", "now", "here", ("a",), {"t": (("a", "1.0"),)}, tuple(entries))
    out = tmp_path / "b.tar"
    write_bundle(out, manifest, {path.name: path for path in files})
    return out, manifest


def test_a_written_bundle_checks_and_unpacks(tmp_path: Path, files: list[Path]) -> None:
    out, manifest = make(tmp_path, files)
    seen: list[str] = []
    into = tmp_path / "into"
    into.mkdir()
    assert check_bundle(out, into, on_file=lambda e: seen.append(e.name)) == manifest
    assert seen == [path.name for path in files]
    assert {p.name: p.read_bytes() for p in into.iterdir()} == {
        p.name: p.read_bytes() for p in files
    }
    assert read_manifest(out) == manifest
    json_copy = tmp_path / "manifest.json"
    json_copy.write_bytes(manifest.to_json())
    assert read_manifest(json_copy) == manifest
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_failed_write_leaves_no_bundle(tmp_path: Path, files: list[Path]) -> None:
    entries = entries_of([(path, []) for path in files])
    manifest = Manifest("q", "now", "here", (), {}, tuple(entries))
    out = tmp_path / "b.tar"
    with pytest.raises(KeyError):
        write_bundle(out, manifest, {files[0].name: files[0]})  # the second one is missing
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["src"]


def rewrite(out: Path, change: Callable[[list[tuple[tarfile.TarInfo, bytes]]], None]) -> None:
    with tarfile.open(out) as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]  # type: ignore[union-attr]
    change(members)
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tar:
        for member, data in members:
            tar.addfile(member, io.BytesIO(data) if member.isreg() else None)


def special(name: str, kind: bytes, linkname: str = "") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, linkname
    return info, b""


def regular(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


A = "files/a-1.0-py3-none-any.whl"
B = "files/b-2.0.tar.gz"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.append(special("files/l.whl", tarfile.SYMTYPE, "/etc/passwd")), "a link"),
        (lambda m: m.append(special("files/h.whl", tarfile.LNKTYPE, A)), "a link"),
        (lambda m: m.append(special("files/dev.whl", tarfile.CHRTYPE)), "not a regular file"),
        (lambda m: m.append(special("files/fifo.whl", tarfile.FIFOTYPE)), "not a regular file"),
        (lambda m: m.append(special("files", tarfile.DIRTYPE)), "not a regular file"),
        (lambda m: m.append(regular("/etc/cron.d/x", b"x")), "unsafe path"),
        (lambda m: m.append(regular("files/../../x.whl", b"x")), "unsafe path"),
        (lambda m: m.append(regular("files/c-1.0.tar.gz", b"x")), "not in the manifest"),
        (lambda m: m.append(regular("manifest.json", b"{}")), "not in the manifest"),
        (lambda m: m.append(regular(A, b"aaa")), "in the bundle twice"),
        (lambda m: m.__setitem__(1, regular(A, b"aaaa")), "4 bytes, the manifest says 3"),
        (lambda m: m.__setitem__(1, regular(A, b"aab")), "is not the manifest's"),
        (lambda m: m.pop(2), f"{B}: in the manifest, not in the bundle"),
        (lambda m: m.reverse(), "first member is not manifest.json"),
    ],
)
def test_a_hostile_bundle_is_refused_naming_the_member(
    tmp_path: Path,
    files: list[Path],
    change: Callable[[list[tuple[tarfile.TarInfo, bytes]]], None],
    message: str,
) -> None:
    out, _ = make(tmp_path, files)
    rewrite(out, change)
    into = tmp_path / "into"
    into.mkdir()
    with pytest.raises(BadBundle, match=message.replace(".", r"\.")):
        check_bundle(out, into)
    assert not (tmp_path / "etc").exists() and not (tmp_path.parent / "x.whl").exists()


@pytest.mark.parametrize("where", ["in a header", "in the manifest", "in a file", "at a member"])
def test_a_truncated_bundle_is_refused(tmp_path: Path, files: list[Path], where: str) -> None:
    out, _ = make(tmp_path, files)
    with tarfile.open(out) as tar:
        manifest, last = tar.getmember("manifest.json"), tar.getmember(B)
    cut = {
        "in a header": 10,
        "in the manifest": manifest.offset_data + manifest.size // 2,
        "in a file": last.offset_data + last.size // 2,
        "at a member": last.offset,  # whole members only: the last one is missing
    }[where]
    out.write_bytes(out.read_bytes()[:cut])
    with pytest.raises(BadBundle) as caught:
        check_bundle(out)
    if where in ("in a file", "at a member"):
        assert B in caught.value.message


def test_a_missing_bundle_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="No such file"):
        check_bundle(tmp_path / "none.tar")
    with pytest.raises(ConfigError, match="a directory"):
        read_manifest(tmp_path)


# --- the engine's pieces -----------------------------------------------------------------


def item(name: str, sha256: str | None, targets: list[str]) -> mirror.Item:
    file = SourceFile("lib", "1.0", name, f"http://x/{name}", sha256, 3, None)
    return mirror.Item(file, targets)


def test_leave_out_drops_what_the_earlier_manifest_has() -> None:
    previous = parse(body())
    items = [item("lib-1.0-py3-none-any.whl", SHA, ["t"]), item("c-1.0.tar.gz", "b" * 64, [])]
    kept, omitted = engine.leave_out(items, previous)
    assert [i.file.filename for i in kept] == ["c-1.0.tar.gz"]
    assert omitted == [Entry("lib-1.0-py3-none-any.whl", SHA, 3, ("t",))]
    assert engine.leave_out(items, None) == (items, [])


def test_assemble_reads_hashes_from_the_bytes(tmp_path: Path, files: list[Path]) -> None:
    fetched = [mirror.Fetched(item(path.name, None, ["cp312-win_amd64"]), path) for path in files]
    previous = Manifest("q", "then", "s", (), {}, tuple(entries_of([(files[1], [])])))
    manifest = engine.assemble(
        source="s",
        requirements=["a"],
        resolutions={Target("3.12", "win_amd64"): [mirror.Pin("a", "1.0")]},
        fetched=fetched,
        omitted=[],
        previous=previous,
    )
    assert [e.name for e in manifest.files] == [files[0].name]
    assert [e.name for e in manifest.omitted] == [files[1].name]  # the index gave no hash
    assert manifest.since == "then"
    assert manifest.resolutions == {"cp312-win_amd64": (("a", "1.0"),)}


def test_push_plan_gives_every_file_its_project(tmp_path: Path) -> None:
    manifest = parse(body(files=[entry(name="My_Lib-1.0-py3-none-any.whl")]))
    plan, fetched = engine.push_plan(manifest, tmp_path)
    assert [i.file.project for i in plan.items] == ["my-lib"]
    assert fetched[0].path == tmp_path / "My_Lib-1.0-py3-none-any.whl"


def test_requirement_lines_read_the_files(tmp_path: Path) -> None:
    reqs = tmp_path / "r.txt"
    reqs.write_text("# pinned\nhttpx>=0.27  # why\n\nrich\n")
    wanted = mirror.Requirements.of(["lib"], [str(reqs)])
    assert engine.requirement_lines(wanted) == ["lib", "httpx>=0.27", "rich"]
