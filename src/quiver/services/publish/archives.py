"""Reading the core metadata out of an uploaded distribution, without trusting the archive.

Nothing is ever extracted: wheels and zip sdists are read through their central directory,
``.tar.gz`` sdists as one forward pass over the decompressed stream. Every way an archive can
be broken or hostile ends in a :class:`Invalid` with a one-line reason.
"""

from __future__ import annotations

import gzip
import io
import lzma
import stat
import struct
import tarfile
import zipfile
import zlib
from pathlib import Path
from typing import NoReturn

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from quiver.domain.distributions import DistFilename
from quiver.domain.errors import Invalid

MIB = 1024 * 1024
# A deflated member may shrink at most this much once it is big; real files never come close.
ZIP_MAX_RATIO = 200
ZIP_RATIO_MIN_SIZE = 10 * MIB
ZIP_MAX_TOTAL = 4096 * MIB
ZIP_MAX_ENTRIES = 100_000
ZIP_MAX_DIRECTORY = 64 * MIB
ZIP_TAIL = 65_535 + 22  # the end record and the longest comment it may carry
TAR_MAX_MEMBERS = 100_000
TAR_MAX_SCANNED = 2048 * MIB
# tarfile reads pax / long-name headers whole into memory, and keeps every header it has
# seen, so both one header and all headers together need a ceiling of their own.
TAR_MAX_HEADER = 1 * MIB
TAR_MAX_HEADER_TOTAL = 64 * MIB

# What zipfile, tarfile, gzip, zlib and lzma raise on corrupt or unsupported input
# (RuntimeError: an encrypted zip member; NotImplementedError: an unknown zip method).
_ARCHIVE_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    tarfile.TarError,
    zlib.error,
    lzma.LZMAError,
    struct.error,
    OSError,
    EOFError,
    ValueError,
    OverflowError,
    RuntimeError,
    NotImplementedError,
)


def core_metadata_bytes(path: Path, dist: DistFilename, max_metadata_bytes: int) -> bytes:
    """Return the raw bytes of the wheel's ``*.dist-info/METADATA`` or the sdist's ``PKG-INFO``.

    The file at ``path`` is never loaded whole nor extracted, and at most
    ``max_metadata_bytes + 1`` bytes of the metadata member are decompressed. Raises
    :class:`Invalid` for anything else: corrupt or truncated archives, missing or ambiguous
    metadata, metadata over the limit, links, compression bombs.
    """
    name = dist.filename
    if dist.is_wheel or name.endswith(".zip"):
        label = "zip"
    elif name.endswith(".tar.gz"):
        label = ".tar.gz"
    else:
        raise Invalid(f"{name}: only .whl, .tar.gz and .zip distributions can be read.")
    try:
        if label == ".tar.gz":
            return _read_tar_gz(path, name, max_metadata_bytes)
        return _read_zip(path, dist, max_metadata_bytes)
    except Invalid:
        raise
    except _ARCHIVE_ERRORS:
        raise Invalid(f"{name} is not a valid {label} archive.") from None


def _check_zip_directory(path: Path, name: str) -> None:
    """Refuse a zip whose central directory is huge before ``zipfile`` loads it whole.

    Reads the end-of-central-directory record (and its zip64 form) from the tail.
    """
    with path.open("rb") as handle:
        size = handle.seek(0, io.SEEK_END)
        tail_start = max(0, size - ZIP_TAIL)
        handle.seek(tail_start)
        tail = handle.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < 22:
            raise Invalid(f"{name} is not a valid zip archive.")
        entries, directory_size = struct.unpack_from("<HL", tail, at + 10)
        if entries == 0xFFFF or directory_size == 0xFFFFFFFF:
            locator = tail_start + at - 20
            handle.seek(max(0, locator))
            record = handle.read(20)
            if len(record) < 20 or record[:4] != b"PK\x06\x07":
                raise Invalid(f"{name} is not a valid zip archive.")
            (offset,) = struct.unpack_from("<Q", record, 8)
            handle.seek(offset)
            zip64 = handle.read(56)
            if len(zip64) < 56 or zip64[:4] != b"PK\x06\x06":
                raise Invalid(f"{name} is not a valid zip archive.")
            entries, directory_size = struct.unpack_from("<QQ", zip64, 32)
    if entries > ZIP_MAX_ENTRIES or directory_size > ZIP_MAX_DIRECTORY:
        raise Invalid(
            f"{name} has too many entries ({entries}); at most {ZIP_MAX_ENTRIES} are accepted."
        )


def _read_zip(path: Path, dist: DistFilename, limit: int) -> bytes:
    name = dist.filename
    _check_zip_directory(path, name)
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        _check_zip_bomb(name, infos)
        info = _wheel_metadata(name, dist, infos) if dist.is_wheel else _zip_pkg_info(name, infos)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise Invalid(f"{name}: {info.filename!r} is a symbolic link, not a file.")
        if info.file_size > limit:
            _too_big(name, info.filename, limit)
        # The declared size is only a claim: read one byte past the limit from the stream.
        with archive.open(info) as member:
            return _bounded(name, info.filename, member.read(limit + 1), limit)


def _check_zip_bomb(name: str, infos: list[zipfile.ZipInfo]) -> None:
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > ZIP_RATIO_MIN_SIZE and info.file_size > ZIP_MAX_RATIO * max(
            info.compress_size, 1
        ):
            raise Invalid(
                f"{name}: {info.filename!r} has a suspicious compression ratio (zip bomb?)."
            )
    if total > ZIP_MAX_TOTAL:
        raise Invalid(
            f"{name} declares more than {ZIP_MAX_TOTAL // MIB} MiB after decompression "
            "(compression bomb?)."
        )


def _wheel_metadata(name: str, dist: DistFilename, infos: list[zipfile.ZipInfo]) -> zipfile.ZipInfo:
    found = [
        info
        for info in infos
        if (parts := info.filename.split("/"))[1:] == ["METADATA"]
        and parts[0].endswith(".dist-info")
    ]
    if not found:
        raise Invalid(f"{name}: wheel has no .dist-info/METADATA.")
    if len(found) > 1:
        raise Invalid(f"{name}: wheel has more than one .dist-info/METADATA.")
    directory = found[0].filename.split("/")[0]
    # Wheels write an escaped name (foo_bar-1.0.dist-info): compare normalized forms.
    project, _, version = directory.removesuffix(".dist-info").rpartition("-")
    try:
        matches = canonicalize_name(project) == dist.name and Version(version) == dist.version
    except InvalidVersion:
        matches = False
    if not matches:
        raise Invalid(f"{name}: wheel's {directory!r} does not match {dist.name} {dist.version}.")
    return found[0]


def _is_top_pkg_info(member: str) -> bool:
    top, sep, rest = member.removeprefix("./").partition("/")
    return bool(top) and sep == "/" and rest == "PKG-INFO"


def _zip_pkg_info(name: str, infos: list[zipfile.ZipInfo]) -> zipfile.ZipInfo:
    found = [info for info in infos if _is_top_pkg_info(info.filename)]
    if not found:
        raise Invalid(f"{name}: sdist has no top-level PKG-INFO.")
    if len(found) > 1:
        raise Invalid(f"{name}: sdist has more than one top-level PKG-INFO.")
    return found[0]


def _read_tar_gz(path: Path, name: str, limit: int) -> bytes:
    with gzip.open(path, "rb") as raw:
        stream = _BoundedStream(raw, name, limit)
        with tarfile.open(fileobj=stream, mode="r:", tarinfo=_NoSparseTarInfo) as archive:
            # Stop at the first top-level PKG-INFO: the rest of the archive is never decompressed.
            for count, member in enumerate(archive, start=1):
                if count > TAR_MAX_MEMBERS:
                    raise Invalid(f"{name}: more than {TAR_MAX_MEMBERS} archive members.")
                if not _is_top_pkg_info(member.name):
                    continue
                if not member.isreg():
                    raise Invalid(f"{name}: {member.name!r} is a link or special file.")
                if member.size > limit:
                    _too_big(name, member.name, limit)
                extracted = archive.extractfile(member)
                if extracted is None:
                    raise Invalid(f"{name}: {member.name!r} cannot be read.")
                with extracted:
                    return _bounded(name, member.name, extracted.read(limit + 1), limit)
    raise Invalid(f"{name}: sdist has no top-level PKG-INFO.")


class _BoundedStream:
    """The decompressed tar stream, refusing to go past TAR_MAX_SCANNED or to read big headers.

    tarfile skips member data with ``seek`` (gzip decompresses and discards in small chunks),
    and reads headers and the one member we want with ``read``.
    """

    def __init__(self, raw: gzip.GzipFile, name: str, limit: int) -> None:
        self._raw = raw
        self._name = name
        self._read_cap = max(TAR_MAX_HEADER, limit + 1)
        self._read_left = TAR_MAX_HEADER_TOTAL + limit + 1

    def read(self, size: int = -1) -> bytes:
        if size < 0 or size > self._read_cap or size > self._read_left:
            raise Invalid(f"{self._name}: archive has oversized tar headers.")
        self._check(self._raw.tell() + size)
        data = self._raw.read(size)
        self._read_left -= len(data)
        return data

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            offset += self._raw.tell()
        elif whence != io.SEEK_SET:
            raise io.UnsupportedOperation("only forward seeks are supported")
        self._check(offset)
        return self._raw.seek(offset)

    def tell(self) -> int:
        return self._raw.tell()

    def write(self, data: bytes) -> int:
        raise io.UnsupportedOperation("read-only")

    def close(self) -> None:
        """The gzip file is closed by its owner."""

    def _check(self, end: int) -> None:
        if end > TAR_MAX_SCANNED:
            raise Invalid(
                f"{self._name}: archive too large when decompressed "
                f"(no PKG-INFO in the first {TAR_MAX_SCANNED // MIB} MiB)."
            )


class _NoSparseTarInfo(tarfile.TarInfo):
    """Refuses GNU sparse members, whose maps tarfile would read into memory without bound.

    Overrides private hooks of tarfile; the tests build both kinds of sparse member.
    """

    def _proc_sparse(self, archive: tarfile.TarFile) -> NoReturn:
        raise Invalid("Sparse files are not allowed in a distribution archive.")

    def _proc_gnusparse_10(self, *args: object) -> NoReturn:
        raise Invalid("Sparse files are not allowed in a distribution archive.")


def _bounded(name: str, member: str, data: bytes, limit: int) -> bytes:
    if len(data) > limit:
        _too_big(name, member, limit)
    return data


def _too_big(name: str, member: str, limit: int) -> NoReturn:
    raise Invalid(f"{name}: {member!r} is larger than the {limit}-byte metadata limit.")
