"""core_metadata_bytes: good wheels and sdists, and every broken or hostile archive we know of."""

from __future__ import annotations

import gzip
import io
import os
import stat
import struct
import tarfile
import warnings
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quiver.domain.distributions import DistFilename, parse_filename
from quiver.domain.errors import Invalid
from quiver.services.publish import archives
from quiver.services.publish.archives import core_metadata_bytes

MIB = 1024 * 1024
LIMIT = 64 * 1024
META = b"Metadata-Version: 2.1\nName: foo-bar\nVersion: 1.0\n"
WHEEL = "foo_bar-1.0-py3-none-any.whl"
SDIST_TGZ = "foo_bar-1.0.tar.gz"
SDIST_ZIP = "foo_bar-1.0.zip"


def write_zip(path: Path, members: list[tuple[str, bytes]]) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are deliberate in some tests
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in members:
                archive.writestr(name, data)
    return path


def tar_bytes(members: list[tarfile.TarInfo | tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                archive.addfile(member)
            else:
                info = tarfile.TarInfo(member[0])
                info.size = len(member[1])
                archive.addfile(info, io.BytesIO(member[1]))
    return buffer.getvalue()


def write_tgz(path: Path, members: list[tarfile.TarInfo | tuple[str, bytes]]) -> Path:
    path.write_bytes(gzip.compress(tar_bytes(members)))
    return path


def wheel_members(dist_info: str = "foo_bar-1.0.dist-info") -> list[tuple[str, bytes]]:
    return [
        ("foo_bar/__init__.py", b"x = 1\n"),
        (f"{dist_info}/METADATA", META),
        (f"{dist_info}/WHEEL", b"Wheel-Version: 1.0\n"),
        (f"{dist_info}/RECORD", b""),
    ]


def read(path: Path, limit: int = LIMIT) -> bytes:
    return core_metadata_bytes(path, parse_filename(path.name), limit)


def rejected(path: Path, match: str, limit: int = LIMIT) -> None:
    with pytest.raises(Invalid, match=match) as caught:
        read(path, limit)
    assert "\n" not in str(caught.value)


def link(name: str, kind: bytes, target: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


# --- wheels -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dist_info", ["foo_bar-1.0.dist-info", "Foo.Bar-1.0.dist-info", "foo_bar-1.0.0.dist-info"]
)
def test_wheel_metadata_is_found_by_normalized_name_and_version(
    tmp_path: Path, dist_info: str
) -> None:
    assert read(write_zip(tmp_path / WHEEL, wheel_members(dist_info))) == META


@pytest.mark.parametrize(
    "dist_info", ["other-1.0.dist-info", "foo_bar-2.0.dist-info", "foo_bar-x!y.dist-info"]
)
def test_wheel_metadata_for_another_release_is_rejected(tmp_path: Path, dist_info: str) -> None:
    rejected(write_zip(tmp_path / WHEEL, wheel_members(dist_info)), "does not match")


def test_wheel_without_metadata_is_rejected(tmp_path: Path) -> None:
    members = [
        ("foo_bar-1.0.dist-info/WHEEL", b"Wheel-Version: 1.0\n"),
        ("vendored/foo_bar-1.0.dist-info/METADATA", META),  # not at the root: does not count
    ]
    rejected(write_zip(tmp_path / WHEEL, members), r"no \.dist-info/METADATA")


@pytest.mark.parametrize(
    "extra",
    [("other-2.0.dist-info/METADATA", META), ("foo_bar-1.0.dist-info/METADATA", META)],
    ids=["two-dirs", "duplicate-entry"],
)
def test_wheel_with_two_metadata_files_is_rejected(
    tmp_path: Path, extra: tuple[str, bytes]
) -> None:
    rejected(write_zip(tmp_path / WHEEL, [*wheel_members(), extra]), "more than one")


@pytest.mark.parametrize("filename", [WHEEL, SDIST_ZIP])
def test_garbage_named_zip_is_rejected(tmp_path: Path, filename: str) -> None:
    (tmp_path / filename).write_bytes(b"this is not a zip file at all" * 100)
    rejected(tmp_path / filename, "is not a valid zip archive")


def test_empty_file_is_rejected(tmp_path: Path) -> None:
    (tmp_path / WHEEL).write_bytes(b"")
    rejected(tmp_path / WHEEL, "is not a valid zip archive")


def test_metadata_over_the_limit_is_rejected(tmp_path: Path) -> None:
    limit = 10_000_000
    members = [("foo_bar-1.0.dist-info/METADATA", META + b"x" * limit)]
    rejected(write_zip(tmp_path / WHEEL, members), "10000000-byte metadata limit", limit)


def test_metadata_exactly_at_the_limit_is_accepted(tmp_path: Path) -> None:
    data = META + b"x" * 100
    members = [("foo_bar-1.0.dist-info/METADATA", data)]
    assert read(write_zip(tmp_path / WHEEL, members), len(data)) == data


def patch_central_directory(path: Path, offset: int, fmt: str, value: int) -> None:
    data = bytearray(path.read_bytes())
    struct.pack_into(fmt, data, data.index(b"PK\x01\x02") + offset, value)
    path.write_bytes(bytes(data))


def test_declared_size_smaller_than_the_data_is_not_trusted(tmp_path: Path) -> None:
    path = write_zip(tmp_path / WHEEL, [("foo_bar-1.0.dist-info/METADATA", META * 100)])
    patch_central_directory(path, 24, "<I", 10)  # uncompressed size
    rejected(path, "is not a valid zip archive", limit=len(META))


def test_encrypted_member_is_rejected(tmp_path: Path) -> None:
    path = write_zip(tmp_path / WHEEL, [("foo_bar-1.0.dist-info/METADATA", META)])
    patch_central_directory(path, 8, "<H", 0x1)  # general purpose flag: encrypted
    rejected(path, "is not a valid zip archive")


def test_zip_bomb_is_rejected(tmp_path: Path) -> None:
    path = write_zip(tmp_path / WHEEL, wheel_members())
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open("foo_bar/zeros.bin", "w") as member,
    ):
        for _ in range(50):
            member.write(bytes(MIB))
    assert path.stat().st_size < MIB
    rejected(path, "compression")


def test_huge_total_declared_size_is_rejected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archives, "ZIP_MAX_TOTAL", 100)
    members = [*wheel_members(), ("foo_bar/data.txt", os.urandom(200))]
    rejected(write_zip(tmp_path / WHEEL, members), "compression")


def test_symlinked_metadata_in_zip_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / SDIST_ZIP
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo("foo_bar-1.0/PKG-INFO")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
    rejected(path, "symbolic link")


# --- sdists -------------------------------------------------------------------------------


def sdist_members(top: str = "foo_bar-1.0") -> list[tarfile.TarInfo | tuple[str, bytes]]:
    return [
        (f"{top}/src/foo_bar/__init__.py", b"x = 1\n"),
        (f"{top}/src/foo_bar.egg-info/PKG-INFO", b"Metadata-Version: 2.1\nName: wrong\n"),
        (f"{top}/PKG-INFO", META),
        (f"{top}/setup.py", b"raise SystemExit\n"),
    ]


@pytest.mark.parametrize("top", ["foo_bar-1.0", "foo-bar-1.0", "./Foo.Bar-1.0"])
def test_sdist_tar_gz_top_level_pkg_info_is_read(tmp_path: Path, top: str) -> None:
    assert read(write_tgz(tmp_path / SDIST_TGZ, sdist_members(top))) == META


def test_sdist_zip_top_level_pkg_info_is_read(tmp_path: Path) -> None:
    members = [m for m in sdist_members() if isinstance(m, tuple)]
    assert read(write_zip(tmp_path / SDIST_ZIP, members)) == META


@pytest.mark.parametrize(
    "names",
    [["PKG-INFO"], ["foo_bar-1.0/foo_bar.egg-info/PKG-INFO"], ["foo_bar-1.0/setup.py"]],
)
def test_sdist_without_top_level_pkg_info_is_rejected(tmp_path: Path, names: list[str]) -> None:
    members: list[tarfile.TarInfo | tuple[str, bytes]] = [(name, META) for name in names]
    rejected(write_tgz(tmp_path / SDIST_TGZ, members), "no top-level PKG-INFO")
    rejected(write_zip(tmp_path / SDIST_ZIP, [(name, META) for name in names]), "no top-level")


def test_sdist_zip_with_two_pkg_infos_is_rejected(tmp_path: Path) -> None:
    members = [("foo_bar-1.0/PKG-INFO", META), ("other-1.0/PKG-INFO", META)]
    rejected(write_zip(tmp_path / SDIST_ZIP, members), "more than one top-level PKG-INFO")


@pytest.mark.parametrize("keep", [0, 5, 10, 100, 1000, 0.5, 0.9])
def test_truncated_tar_gz_is_rejected(tmp_path: Path, keep: float) -> None:
    # Incompressible data ahead of PKG-INFO, so every cut lands before PKG-INFO is complete.
    members = [("foo_bar-1.0/blob.bin", os.urandom(256 * 1024)), *sdist_members()]
    data = write_tgz(tmp_path / SDIST_TGZ, members).read_bytes()
    cut = int(len(data) * keep) if isinstance(keep, float) else keep
    (tmp_path / SDIST_TGZ).write_bytes(data[:cut])
    rejected(tmp_path / SDIST_TGZ, r"is not a valid \.tar\.gz archive")


@pytest.mark.parametrize(
    "content", [b"garbage" * 100, gzip.compress(b"not a tar archive" * 100)], ids=["raw", "gz"]
)
def test_garbage_tar_gz_is_rejected(tmp_path: Path, content: bytes) -> None:
    (tmp_path / SDIST_TGZ).write_bytes(content)
    rejected(tmp_path / SDIST_TGZ, r"is not a valid \.tar\.gz archive")


def test_pkg_info_over_the_limit_in_tar_is_rejected(tmp_path: Path) -> None:
    members: list[tarfile.TarInfo | tuple[str, bytes]] = [("foo_bar-1.0/PKG-INFO", META * 10)]
    rejected(write_tgz(tmp_path / SDIST_TGZ, members), "metadata limit", limit=len(META))


@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE], ids=["symlink", "hardlink"])
def test_linked_pkg_info_in_tar_is_rejected(tmp_path: Path, kind: bytes) -> None:
    members: list[tarfile.TarInfo | tuple[str, bytes]] = [
        ("foo_bar-1.0/setup.py", META),
        link("foo_bar-1.0/PKG-INFO", kind, "foo_bar-1.0/setup.py"),
    ]
    rejected(write_tgz(tmp_path / SDIST_TGZ, members), "link or special file")


def test_tar_scan_stops_before_a_huge_member_is_decompressed(tmp_path: Path) -> None:
    huge = tarfile.TarInfo("foo_bar-1.0/huge.bin")
    huge.size = 3 * 1024 * MIB  # header only: the data would be skipped by decompressing it
    members: list[tarfile.TarInfo | tuple[str, bytes]] = [huge, *sdist_members()]
    rejected(write_tgz(tmp_path / SDIST_TGZ, members), "archive too large when decompressed")


def test_oversized_pax_header_is_rejected(tmp_path: Path) -> None:
    info = tarfile.TarInfo("foo_bar-1.0/setup.py")
    info.pax_headers = {"comment": "x" * 2 * MIB}
    rejected(write_tgz(tmp_path / SDIST_TGZ, [info, *sdist_members()]), "oversized tar headers")


def test_too_many_members_are_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archives, "TAR_MAX_MEMBERS", 5)
    members: list[tarfile.TarInfo | tuple[str, bytes]] = [
        (f"foo_bar-1.0/m{i}.py", b"") for i in range(10)
    ]
    rejected(write_tgz(tmp_path / SDIST_TGZ, [*members, *sdist_members()]), "more than 5")


def old_gnu_sparse_header(name: str) -> bytes:
    info = tarfile.TarInfo(name)
    header = bytearray(info.tobuf(tarfile.GNU_FORMAT))
    header[156:157] = tarfile.GNUTYPE_SPARSE
    header[148:156] = b" " * 8
    header[148:155] = b"%06o\0" % sum(header[:512])
    return bytes(header)


def test_old_gnu_sparse_member_is_rejected(tmp_path: Path) -> None:
    data = old_gnu_sparse_header("foo_bar-1.0/sparse") + tar_bytes(sdist_members())
    (tmp_path / SDIST_TGZ).write_bytes(gzip.compress(data))
    rejected(tmp_path / SDIST_TGZ, "Sparse files")


def test_pax_sparse_member_is_rejected(tmp_path: Path) -> None:
    info = tarfile.TarInfo("foo_bar-1.0/sparse")
    info.pax_headers = {"GNU.sparse.major": "1", "GNU.sparse.minor": "0"}
    rejected(write_tgz(tmp_path / SDIST_TGZ, [info, *sdist_members()]), "Sparse files")


def test_unknown_archive_type_is_rejected(tmp_path: Path) -> None:
    dist = parse_filename(SDIST_TGZ)
    odd = DistFilename("foo_bar-1.0.tar.bz2", "sdist", dist.name, dist.version)
    with pytest.raises(Invalid, match="only"):
        core_metadata_bytes(tmp_path / odd.filename, odd, LIMIT)


# --- whatever the bytes, the answer is metadata or a Invalid --------------------------

SAMPLES: dict[str, bytes] = {}


def sample(tmp_path: Path, filename: str) -> bytes:
    if filename not in SAMPLES:
        if filename == SDIST_TGZ:
            write_tgz(tmp_path / filename, sdist_members())
        elif filename == SDIST_ZIP:
            write_zip(tmp_path / filename, [m for m in sdist_members() if isinstance(m, tuple)])
        else:
            write_zip(tmp_path / filename, wheel_members())
        SAMPLES[filename] = (tmp_path / filename).read_bytes()
    return SAMPLES[filename]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    filename=st.sampled_from([WHEEL, SDIST_TGZ, SDIST_ZIP]),
    edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=8),
    keep=st.floats(0, 1),
)
def test_corrupted_archives_never_raise_anything_else(
    tmp_path: Path, filename: str, edits: list[tuple[float, int]], keep: float
) -> None:
    data = bytearray(sample(tmp_path, filename))
    for where, value in edits:
        data[int(where * len(data))] = value
    (tmp_path / "fuzz").mkdir(exist_ok=True)
    path = tmp_path / "fuzz" / filename
    path.write_bytes(bytes(data[: int(len(data) * keep)] if keep < 1 else data))
    try:
        result = read(path)
    except Invalid as err:
        message = str(err)
    else:
        assert len(result) <= LIMIT
        return
    assert message
    assert "\n" not in message


def test_zip_with_too_many_entries_is_refused_before_loading(tmp_path: Path) -> None:
    path = tmp_path / "pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for number in range(100_001):
            archive.writestr(f"e/{number}", b"")
    dist = parse_filename(path.name)
    with pytest.raises(Invalid, match="too many entries"):
        core_metadata_bytes(path, dist, 1024 * 1024)
