"""``quiver mirror``'s engine without a feed: targets and their tags, which file of a pin each
target gets, reading an index (JSON and HTML), and markers judged per target by uv."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from quiver.cli import mirror as engine
from quiver.cli.client import ConfigError
from quiver.cli.mirror_sources import Source, SourceFile, _from_html, choose
from quiver.cli.mirror_targets import Target, parse_target, platform_tags, uv_platform
from tests.support.mirror_index import SourceIndex, build_graph, serving

LINUX = Target("3.11", "manylinux_2_28_x86_64")
WINDOWS = Target("3.12", "win_amd64")
MAC = Target("3.12", "macosx_11_0_arm64")


def wheel(name: str, version: str = "1.0", requires_python: str | None = None) -> SourceFile:
    return SourceFile("lib", version, name, f"http://x/{name}", None, None, requires_python)


def test_manylinux_2_28_accepts_older_manylinux_tags_only() -> None:
    found = platform_tags("manylinux_2_28_x86_64")
    assert found[0] == "manylinux_2_28_x86_64"
    for older in ("manylinux_2_17_x86_64", "manylinux2014_x86_64", "manylinux1_x86_64"):
        assert older in found
    assert "manylinux_2_29_x86_64" not in found
    assert "linux_x86_64" not in found
    assert platform_tags("manylinux2014_aarch64")[0] == "manylinux_2_17_aarch64"
    assert platform_tags("musllinux_1_2_x86_64") == [
        "musllinux_1_2_x86_64",
        "musllinux_1_1_x86_64",
        "musllinux_1_0_x86_64",
    ]
    mac = platform_tags("macosx_11_0_arm64")
    assert "macosx_10_9_universal2" in mac  # universal2 wheels also run on Apple silicon
    assert "macosx_12_0_arm64" not in mac


def test_the_best_fitting_wheel_is_chosen_for_each_target() -> None:
    files = [
        wheel("lib-1.0-cp311-cp311-manylinux2014_x86_64.whl"),
        wheel("lib-1.0-cp311-cp311-manylinux_2_28_x86_64.whl"),
        wheel("lib-1.0-cp39-abi3-manylinux_2_17_x86_64.whl"),
        wheel("lib-1.0-cp312-cp312-win_amd64.whl"),
        wheel("lib-1.0-cp311-cp311-manylinux_2_34_x86_64.whl"),  # too new for 2_28
        wheel("lib-1.0-cp312-cp312-macosx_10_9_universal2.whl"),
        wheel("lib-1.1-cp311-cp311-manylinux_2_28_x86_64.whl"),  # another version
    ]
    chosen, problem = choose("lib", files, "1.0", LINUX)
    assert problem is None
    assert [f.filename for f in chosen] == ["lib-1.0-cp311-cp311-manylinux_2_28_x86_64.whl"]
    chosen, _ = choose("lib", files, "1.0", WINDOWS)
    assert [f.filename for f in chosen] == ["lib-1.0-cp312-cp312-win_amd64.whl"]
    chosen, _ = choose("lib", files, "1.0", MAC)
    assert [f.filename for f in chosen] == ["lib-1.0-cp312-cp312-macosx_10_9_universal2.whl"]
    # abi3 built for 3.9 serves 3.12 on Linux
    chosen, _ = choose("lib", files, "1.0", Target("3.12", "manylinux_2_28_x86_64"))
    assert [f.filename for f in chosen] == ["lib-1.0-cp39-abi3-manylinux_2_17_x86_64.whl"]


def test_sdists_only_where_no_wheel_fits_unless_asked() -> None:
    sdist = SourceFile("lib", "1.0", "lib-1.0.tar.gz", "http://x/lib-1.0.tar.gz", None, None, None)
    pure = wheel("lib-1.0-py3-none-any.whl")
    assert [f.filename for f in choose("lib", [pure, sdist], "1.0", LINUX)[0]] == [pure.filename]
    both = choose("lib", [pure, sdist], "1.0", LINUX, include_sdists=True)[0]
    assert [f.filename for f in both] == [pure.filename, "lib-1.0.tar.gz"]
    assert [f.filename for f in choose("lib", [sdist], "1.0", LINUX)[0]] == ["lib-1.0.tar.gz"]
    chosen, problem = choose("lib", [sdist], "1.0", LINUX, only_binary=True)
    assert chosen == []
    assert problem == "lib 1.0: no wheel for cp311-manylinux_2_28_x86_64."
    assert choose("lib", [], "1.0", LINUX)[1] == "lib 1.0: no file for cp311-manylinux_2_28_x86_64."


def test_requires_python_excludes_files_for_older_pythons() -> None:
    new = wheel("lib-2.0-py3-none-any.whl", "2.0", ">=3.12")
    assert choose("lib", [new], "2.0", LINUX)[0] == []
    assert choose("lib", [new], "2.0", WINDOWS)[0] == [new]


def test_targets_and_uv_platforms() -> None:
    assert uv_platform(parse_target("3.12", "manylinux_2_28_x86_64")) == (
        "x86_64-manylinux_2_28",
        {},
    )
    assert uv_platform(parse_target("3.12", "manylinux_2_30_x86_64"))[0] == (
        "x86_64-manylinux_2_28"
    )
    assert uv_platform(parse_target("3.12", "musllinux_1_2_aarch64"))[0] == (
        "aarch64-unknown-linux-musl"
    )
    assert uv_platform(parse_target("3.12", "macosx_11_0_arm64")) == (
        "aarch64-apple-darwin",
        {"MACOSX_DEPLOYMENT_TARGET": "11.0"},
    )
    assert uv_platform(parse_target("3.12", "WIN-AMD64"))[0] == "x86_64-pc-windows-msvc"
    for python, platform in (("3", "win_amd64"), ("2.7", "win_amd64"), ("3.12", "solaris")):
        with pytest.raises(ConfigError):
            parse_target(python, platform)


def test_requirements_are_checked_before_anything_runs(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Invalid requirement"):
        engine.Requirements.of(["requests>>2"], [])
    with pytest.raises(ConfigError, match="No such requirements file"):
        engine.Requirements.of([], [str(tmp_path / "missing.txt")])
    with pytest.raises(ConfigError, match="Nothing to mirror"):
        engine.Requirements.of([], [])
    listed = tmp_path / "reqs.txt"
    listed.write_text("purelib\n")
    text = engine.Requirements.of(["rootpkg"], [str(listed)]).text()
    assert text == f"rootpkg\n-r {listed.resolve()}\n"


def test_uv_output_becomes_pins() -> None:
    output = "# comment\nBinLib==2.0\n    # via rootpkg\n--index-url x\npure-lib==1.1 ; x\n"
    assert engine._pins(output) == [engine.Pin("binlib", "2.0"), engine.Pin("pure-lib", "1.1")]


def test_html_pages_give_hashes_and_requires_python() -> None:
    page = (
        '<a href="../../files/lib-1.0-py3-none-any.whl#sha256=abc" '
        'data-requires-python="&gt;=3.12">lib-1.0-py3-none-any.whl</a>'
        '<a href="https://elsewhere/other-1.0.tar.gz">other-1.0.tar.gz</a>'
    )
    [found] = _from_html("lib", "http://index/simple/lib/", page)
    assert found.url == "http://index/files/lib-1.0-py3-none-any.whl"
    assert (found.sha256, found.requires_python, found.version) == ("abc", ">=3.12", "1.0")


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SourceIndex]:
    directory = tmp_path_factory.mktemp("index")
    build_graph(directory)
    with serving(directory, password="s3cret") as running:
        yield running


def test_markers_and_requires_python_are_judged_per_target(
    index: SourceIndex, tmp_path: Path
) -> None:
    source = Source(index.url.replace("http://", "http://me:s3cret@"))
    targets = [Target("3.11", "manylinux_2_28_x86_64"), Target("3.12", "win_amd64")]
    try:
        resolved = engine.resolve(
            engine.Requirements.of(["rootpkg"], []), targets, source, tmp_path
        )
        plan = engine.make_plan(resolved, source)
    finally:
        source.close()
    linux, windows = ({p.name: p.version for p in resolved[t]} for t in targets)
    assert linux == {"rootpkg": "1.0", "purelib": "1.1", "binlib": "2.0", "newpy": "1.0"}
    assert windows == {**linux, "newpy": "2.0", "winonly": "1.0"}
    assert {item.file.filename: item.targets for item in plan.items}[
        "winonly-1.0-py3-none-any.whl"
    ] == ["cp312-win_amd64"]
    assert plan.problems == []


def test_a_cached_file_is_fetched_again_only_if_missing_or_bad(
    index: SourceIndex, tmp_path: Path
) -> None:
    source = Source(index.url.replace("http://", "http://me:s3cret@"))
    try:
        files = source.files("purelib")
        items = [engine.Item(file) for file in files]
        first = engine.download(items, source, tmp_path)
        assert all(f.path is not None and not f.reused for f in first)
        broken = tmp_path / "files" / files[0].filename
        broken.write_bytes(b"damaged")
        second = engine.download(items, source, tmp_path)
    finally:
        source.close()
    assert [f.reused for f in second] == [False, True]
    assert second[0].path is not None and second[0].path.read_bytes() != b"damaged"
    assert not list((tmp_path / "files").glob("*.part"))
