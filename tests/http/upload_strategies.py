"""Hypothesis strategies for upload requests: metadata, archives, filenames, forms, framing.

Core metadata always carries real fields with real, odd or hostile values (NUL, bytes that
are not UTF-8, long lines): those never refuse a file, so they reach the database. Then at
most one layer is broken per example, so that half of them get past every check: the
metadata's required fields; the archive (wheels, zip and ``.tar.gz`` sdists built in
memory, corrupted or truncated); the filename (too long, non-ASCII, path-like, not
UTF-8); twine's form fields (dropped, repeated, poisoned); or the multipart framing.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import tarfile
import zipfile
from dataclasses import dataclass

from hypothesis import strategies as st

from tests.http.fuzzing import HOSTILE_TEXT

NAMES = ["pkg", "Foo.Bar", "foo-bar", "a", "z" * 60]
VERSIONS = ["1.0", "2.0.post1", "1!2.0", "0", "1.0a1", "01.0", "1.0+local", "1.0.dev3", "junk"]
METADATA_VERSIONS = ["1.0", "1.1", "1.2", "2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "2.99"]
REFUSED_METADATA_VERSIONS = ["3.0", "x", "2", "2.1.0", ""]
FIELDS = [
    "Summary",
    "Requires-Python",
    "Requires-Dist",
    "Provides-Extra",
    "Keywords",
    "Classifier",
    "License",
    "License-Expression",
    "License-File",
    "Description-Content-Type",
    "Dynamic",
    "Import-Name",
    "Project-URL",
    "Author-email",
    "Home-page",
    "Platform",
]
ODD_VALUES = [
    ">=3.9",
    "requests (>=2.0)",
    'foo; python_version < "3"',
    "text/markdown; charset=UTF-8",
    "MIT OR Apache-2.0",
    "Homepage, https://example.invalid",
    "((((((((((",
    ";" * 50,
]
SUMMARIES = [
    b"a\x00b",
    b"\x00",
    b"\xed\xa0\x80 a surrogate in CESU-8",
    b"\xff\xfe",
    "caf\u00e9 \U0001f600".encode(),
    b"x" * 600,
    b"tab\there",
    b"\x1b[31mred",
]
HOSTILE_FILENAMES = [
    b"",
    b".whl",
    b"../pkg-1.0-py3-none-any.whl",
    b"pkg-1.0-py3-none-any.whl\x00.tar.gz",
    b"pkg-1.0-py3-none-linux_\xc3\xa9.whl",
    b"pkg-1.0-py3-none-any\xff.whl",
    b"pkg-1.0-1" + b"a" * 240 + b"-py3-none-any.whl",
    b"pkg-1.0-1" + "é".encode() * 120 + b"-py3-none-any.whl",
    b"pkg-1.0-py3-none-any.egg",
    b"pkg 1.0.tar.gz",
    b'pkg-1.0".tar.gz',
    b"pkg-1.0\r\nX: y.tar.gz",
    b"pkg-1.0.tar.gz;",
    b"C:\\pkg-1.0.tar.gz",
]


def escape(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _as_bytes(value: str) -> bytes:
    return value.encode("utf-8", "surrogatepass")


def values() -> st.SearchStrategy[bytes]:
    """A field value: ordinary, odd, hostile, long, or bytes that may not be UTF-8."""
    return st.one_of(
        st.sampled_from(ODD_VALUES).map(_as_bytes),
        st.sampled_from(HOSTILE_TEXT).map(_as_bytes),
        st.text(max_size=30).map(_as_bytes),
        st.binary(max_size=30),
        st.integers(1, 20_000).map(lambda n: b"x" * n),
    )


@st.composite
def metadata(draw: st.DrawFn, name: str, version: str, fault: str | None) -> bytes:
    """Core metadata naming ``name`` ``version`` whose other fields are odd or hostile.

    Those fields never refuse a file (docs/guide/metadata.md), so they reach the database; with
    ``fault == "metadata"`` the required fields are wrong, missing, or it is all bytes.
    """
    if fault == "metadata" and draw(st.booleans()):
        return draw(st.binary(max_size=300))
    versions = METADATA_VERSIONS
    required = [(b"Name", _as_bytes(name)), (b"Version", _as_bytes(version))]
    if fault == "metadata":
        versions = REFUSED_METADATA_VERSIONS + METADATA_VERSIONS
        required = [pair for pair in required if draw(st.booleans())]
        odd = draw(st.sets(st.sampled_from(["Name", "Version"])))
        required += [(field.encode(), draw(values())) for field in sorted(odd)]
    lines = [b"Metadata-Version: " + _as_bytes(draw(st.sampled_from(versions)))]
    lines += [field + b": " + value for field, value in required]
    # stored in the database, so always there, and often one that has hurt
    lines.append(b"Summary: " + draw(st.sampled_from(SUMMARIES) | values()))
    extra = st.tuples(st.sampled_from(FIELDS).map(str.encode) | st.binary(max_size=10), values())
    for field_name, value in draw(st.lists(extra, max_size=6)):
        lines.append(field_name + b": " + value)
    body = draw(st.one_of(st.just(b""), values()))
    newline = draw(st.sampled_from([b"\n", b"\r\n"]))
    return newline.join(lines) + newline + newline + body


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            archive.writestr(zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0)), data)
    return buffer.getvalue()


def _tar_gz(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as compressed,
        tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as archive,
    ):
        for path, data in files.items():
            info = tarfile.TarInfo(path)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@st.composite
def distribution(draw: st.DrawFn, fault: str | None) -> tuple[bytes, bytes]:
    """(filename, archive bytes) of a wheel or sdist; wrong where ``fault`` says."""
    name = draw(st.sampled_from(NAMES))
    # mostly a version not yet published, so that examples get past the 409
    fresh = st.builds("{}.{}".format, st.integers(0, 2**31), st.integers(0, 2**31))
    version = draw(st.one_of(fresh, fresh, fresh, st.sampled_from(VERSIONS)))
    meta = draw(metadata(name, version, fault))
    stem = f"{escape(name)}-{version}"
    kind = draw(st.sampled_from(["whl", "tar.gz", "zip"]))
    where = stem
    if fault == "archive" and draw(st.booleans()):
        where = draw(st.sampled_from([f"{escape(name)}-9.9", "other-1.0", "", "../x"]))
    if kind == "whl":
        files = {f"{where}.dist-info/METADATA": meta, f"{where}.dist-info/WHEEL": b"Tag: x\n"}
        data = _zip(files)
        tag = draw(st.sampled_from(["py3-none-any", "cp311-cp311-manylinux_2_17_x86_64"]))
        filename = f"{stem}-{tag}.whl".encode()
    else:
        files = {f"{where}/PKG-INFO": meta, f"{where}/setup.py": b""}
        data = _tar_gz(files) if kind == "tar.gz" else _zip(files)
        filename = f"{stem}.{kind}".encode()
    if fault == "archive":
        damage = draw(st.sampled_from(["none", "truncate", "replace", "flip"]))
        if damage == "truncate":
            data = data[: draw(st.integers(0, len(data)))]
        elif damage == "replace":
            data = draw(st.binary(max_size=200))
        elif damage == "flip":
            at = draw(st.integers(0, len(data) - 1))
            data = data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]
    if fault == "filename":
        filename = draw(st.sampled_from(HOSTILE_FILENAMES) | st.binary(max_size=40))
    return filename, data


@dataclass(frozen=True)
class Upload:
    """One request to the upload route."""

    body: bytes
    content_type: str


def _part(boundary: bytes, disposition: bytes, data: bytes, newline: bytes) -> bytes:
    return (
        b"--" + boundary + newline + b"Content-Disposition: form-data; " + disposition
        + newline + newline + data + newline
    )  # fmt: skip


FAULTS = ["metadata", "archive", "filename", "form", "framing"]


@st.composite
def uploads(draw: st.DrawFn) -> Upload:
    """A whole upload request: twine's fields and one file; one layer at most is broken.

    Half the examples break nothing but the odd metadata fields, which are stored; the
    rest break one layer each. (Hypothesis shrinks towards the first choice: no fault.)
    """
    fault = draw(st.sampled_from([None, None, None, None, None, *FAULTS]))
    filename, data = draw(distribution(fault))
    sha256 = hashlib.sha256(data).hexdigest().encode()
    fields: list[tuple[bytes, bytes]] = [
        (b":action", b"file_upload"),
        (b"protocol_version", b"1"),
        (b"filetype", b"bdist_wheel" if filename.endswith(b".whl") else b"sdist"),
        (b"metadata_version", b"2.4"),
        (b"sha256_digest", sha256),
    ]
    if fault == "form":
        _break_fields(draw, fields)
    boundary = draw(st.sampled_from([b"quiverfuzz", b"x", b"----WebKitFormBoundary7MA4YWxk"]))
    newline = b"\r\n"
    if fault == "framing" and draw(st.booleans()):
        newline = draw(st.sampled_from([b"\n", b"\r", b""]))
    parts = [
        _part(boundary, b'name="' + field_name + b'"', value, newline)
        for field_name, value in fields
    ]
    file_part = _part(boundary, b'name="content"; filename="' + filename + b'"', data, newline)
    parts.insert(draw(st.integers(0, len(parts))), file_part)
    body = b"".join(parts) + b"--" + boundary + b"--" + newline
    content_type = "multipart/form-data; boundary=" + boundary.decode()
    if fault == "framing":
        body, content_type = _break_framing(draw, body, content_type, file_part)
    return Upload(body, content_type)


def _break_fields(draw: st.DrawFn, fields: list[tuple[bytes, bytes]]) -> None:
    """Poison, drop, repeat or rename one or two of the form's fields (in place)."""
    for _ in range(draw(st.integers(1, 2))):
        index = draw(st.integers(0, len(fields) - 1))
        field_name, value = fields[index]
        change = draw(st.sampled_from(["poison", "drop", "repeat", "rename"]))
        if change == "poison":
            fields[index] = (field_name, draw(values()))
        elif change == "drop" and len(fields) > 1:
            del fields[index]
        elif change == "repeat":
            fields.append((field_name, draw(values())))
        else:
            fields[index] = (draw(st.text(min_size=1, max_size=10).map(_as_bytes)), value)


def _break_framing(
    draw: st.DrawFn, body: bytes, content_type: str, file_part: bytes
) -> tuple[bytes, str]:
    """Two files, a cut body, a missing or wrong boundary, another content type."""
    how = draw(st.sampled_from(["two files", "cut", "content type", "garbage"]))
    if how == "two files":
        return file_part + body, content_type
    if how == "cut":
        return body[: draw(st.integers(0, len(body)))], content_type
    if how == "content type":
        return body, draw(
            st.sampled_from(
                ["multipart/form-data", "multipart/form-data; boundary=", "application/json", ""]
            )
        )
    return draw(st.binary(max_size=50)) + body, content_type
