"""The real-world corpus (tests/realworld): the pinned list covers the variety of files the public
index really serves (issue 10), and the cache holds exactly the pinned bytes.

The list is checked as text; what the files *declare* is read from the cached archives. Without
the cache these tests are skipped (and fail when ``CI=true``), saying to run ``make corpus``.
No network.
"""

from __future__ import annotations

import email.message
import email.parser
import email.policy
import re
from collections import Counter
from pathlib import Path

import pytest
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename

from tests.realworld.corpus import (
    CORPUS_CSV,
    Entry,
    core_metadata,
    declared_metadata_version,
    read_corpus,
    require_cache,
    sha256_of,
)

MB = 1_000_000
ENTRIES = read_corpus()
WHEELS = [entry for entry in ENTRIES if entry.is_wheel]
SDISTS = [entry for entry in ENTRIES if not entry.is_wheel]
METADATA_VERSIONS = ("1.0", "1.1", "1.2", "2.0", "2.1", "2.2", "2.3", "2.4")


def _tags(entry: Entry) -> set[tuple[str, str, str]]:
    return {
        (tag.interpreter, tag.abi, tag.platform) for tag in parse_wheel_filename(entry.filename)[3]
    }


def _platforms() -> set[str]:
    return {platform for entry in WHEELS for _, _, platform in _tags(entry)}


def _is_specifier_set(text: str) -> bool:
    try:
        SpecifierSet(text)
    except InvalidSpecifier:
        return False
    return True


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


class Declared:
    """What one cached file declares: its raw core metadata and the headers parsed from it."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        parser = email.parser.HeaderParser(policy=email.policy.compat32)
        self.headers: email.message.Message = parser.parsestr(text)
        self.metadata_version = declared_metadata_version(raw)

    def has(self, field: str) -> bool:
        return bool(self.headers.get_all(field))

    def values(self, field: str) -> list[str]:
        return [str(value).strip() for value in self.headers.get_all(field) or []]


@pytest.fixture(scope="module")
def cache() -> Path:
    return require_cache(ENTRIES)


@pytest.fixture(scope="module")
def declared(cache: Path) -> dict[str, Declared]:
    return {entry.filename: Declared(core_metadata(cache / entry.filename)) for entry in ENTRIES}


def _with(declared: dict[str, Declared], field: str, versions: set[str]) -> list[str]:
    return [
        name
        for name, found in declared.items()
        if found.metadata_version in versions and found.has(field)
    ]


# --- the list as text --------------------------------------------------------------------------


def test_the_list_is_well_formed_and_names_no_address() -> None:
    assert len(ENTRIES) >= 150
    filenames = [entry.filename for entry in ENTRIES]
    assert len(set(filenames)) == len(filenames), "a file is listed twice"
    for entry in ENTRIES:
        assert re.fullmatch(r"[0-9a-f]{64}", entry.sha256), entry
        assert entry.size > 0, entry
        assert 0 < len(entry.why) <= 80, entry
        if entry.is_wheel:
            name = parse_wheel_filename(entry.filename)[0]
        else:
            name = parse_sdist_filename(entry.filename)[0]
        assert canonicalize_name(entry.name) == name, entry
    text = CORPUS_CSV.read_text(encoding="utf-8")
    assert "://" not in text and "pythonhosted" not in text and "pypi.org" not in text


def test_wheels_cover_every_kind_of_platform_and_abi() -> None:
    platforms = _platforms()
    for wanted in ("manylinux1_x86_64", "manylinux2010_x86_64", "manylinux2014_x86_64"):
        assert wanted in platforms, wanted
    assert any(re.fullmatch(r"manylinux_2_(2[89]|[3-9]\d)_x86_64", p) for p in platforms)
    assert any(p.startswith("musllinux_1_1_") for p in platforms)
    assert any(p.startswith("musllinux_1_2_") for p in platforms)
    for arch in ("x86_64", "arm64", "universal2", "intel"):
        assert any(re.fullmatch(rf"macosx_\d+_\d+_{arch}", p) for p in platforms), arch
    for windows in ("win32", "win_amd64", "win_arm64"):
        assert windows in platforms, windows
    for arch in ("i686", "aarch64", "armv7l", "ppc64le", "s390x", "riscv64"):
        assert any(p.startswith("manylinux") and p.endswith(arch) for p in platforms), arch
    abis = {abi for entry in WHEELS for _, abi, _ in _tags(entry)}
    assert "abi3" in abis
    assert "none" in abis
    assert any(re.fullmatch(r"cp27mu?|cp3\dm", abi) for abi in abis), "old pymalloc ABI tags"
    pure = [entry.filename for entry in WHEELS if entry.filename.endswith("-py3-none-any.whl")]
    universal = [e.filename for e in WHEELS if e.filename.endswith("-py2.py3-none-any.whl")]
    assert len(pure) >= 20 and len(universal) >= 10
    interpreters = {interpreter for entry in WHEELS for interpreter, _, _ in _tags(entry)}
    assert any(i.startswith("pp") for i in interpreters), "a PyPy wheel"
    assert any(i.startswith("graalpy") for i in interpreters), "a GraalPy wheel"
    assert any(parse_wheel_filename(entry.filename)[2] for entry in WHEELS), "a build tag"


def test_sdists_cover_zip_and_tar_gz() -> None:
    zips = [entry for entry in SDISTS if entry.filename.endswith(".zip")]
    tarballs = [entry for entry in SDISTS if entry.filename.endswith(".tar.gz")]
    assert len(zips) >= 10 and len(tarballs) >= 40
    assert {"1.0", "1.1"} <= {entry.metadata_version for entry in zips}
    assert {"1.0", "1.2", "2.1", "2.2", "2.3", "2.4"} <= {e.metadata_version for e in tarballs}


def test_names_with_dots_underscores_and_capitals() -> None:
    names = {entry.name for entry in ENTRIES}
    assert len([name for name in names if "." in name]) >= 4
    assert len([name for name in names if "_" in name]) >= 2
    assert len([name for name in names if name != name.lower()]) >= 8
    # The same project under old and new spellings of its filename.
    filenames = {entry.filename for entry in ENTRIES}
    assert {"PyYAML-3.11.zip", "pyyaml-6.0.4.tar.gz"} <= filenames
    assert {"backports.tarfile-1.2.0-py3-none-any.whl", "backports_tarfile-1.2.0.tar.gz"} <= (
        filenames
    )


def test_sizes_one_or_two_big_files_and_a_bounded_total() -> None:
    big = [entry.filename for entry in ENTRIES if entry.size > 50 * MB]
    assert 1 <= len(big) <= 2, big
    assert sum(entry.size for entry in ENTRIES) < 600 * MB


# --- the cached files ---------------------------------------------------------------------------


def test_every_cached_file_has_its_pinned_sha256_and_size(cache: Path) -> None:
    wrong = [
        entry.filename
        for entry in ENTRIES
        if (cache / entry.filename).stat().st_size != entry.size
        or sha256_of(cache / entry.filename) != entry.sha256
    ]
    assert not wrong, f"cached files differ from the pinned bytes: {wrong}; run `make corpus`"


def test_the_files_declare_every_metadata_version(declared: dict[str, Declared]) -> None:
    pinned = {entry.filename: entry.metadata_version for entry in ENTRIES}
    disagree = {
        n: d.metadata_version for n, d in declared.items() if d.metadata_version != pinned[n]
    }
    assert not disagree, f"corpus.csv's metadata_version is not what the file declares: {disagree}"
    counts = Counter(found.metadata_version for found in declared.values())
    for version in METADATA_VERSIONS:
        assert counts[version] >= 3, (version, counts)
    wheels_2_0 = [n for n, d in declared.items() if d.metadata_version == "2.0"]
    assert all(name.endswith(".whl") for name in wheels_2_0), "2.0 came from bdist_wheel"


def test_the_real_world_quirks_are_there(declared: dict[str, Declared]) -> None:
    before_2_4 = {version for version in METADATA_VERSIONS if _version(version) < (2, 4)}
    license_files = _with(declared, "License-File", before_2_4)
    assert {"requests-2.32.3-py3-none-any.whl", "six-1.17.0.tar.gz"} <= set(license_files)
    for version in ("2.1", "2.2", "2.3"):
        assert _with(declared, "License-File", {version}), f"License-File under {version}"
    assert len(_with(declared, "License-Expression", {"2.3"})) >= 3
    assert len(_with(declared, "Classifier", {"1.0"})) >= 10
    assert _with(declared, "Download-URL", {"1.0"})
    assert _with(declared, "Description-Content-Type", {"1.1", "1.2"})
    unknown_type = [
        n for n, d in declared.items() if "UNKNOWN" in d.values("Description-Content-Type")
    ]
    assert unknown_type, "Description-Content-Type: UNKNOWN"
    assert any("pytz (>dev)" in d.values("Requires-Dist") for d in declared.values())
    bad_python = [
        value
        for found in declared.values()
        for value in found.values("Requires-Python")
        if not _is_specifier_set(value)
    ]
    assert len(bad_python) >= 3, "malformed Requires-Python (>=3.6.*, !=3.3*)"
    assert any(b"\r\n" in found.raw for found in declared.values()), "CRLF line endings"
    assert any(d.metadata_version == "1.3" for d in declared.values()), "wheel 0.15 wrote 1.3"
