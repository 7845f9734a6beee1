"""Core metadata read as installers read it: what refuses a file, what is only a warning."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quiver.domain.errors import Invalid
from quiver.domain.metadata import MAX_WARNINGS, read_core_metadata


def _meta(version: str, *lines: str, body: bytes = b"") -> bytes:
    head = "\n".join([f"Metadata-Version: {version}", "Name: x", "Version: 1", *lines])
    return head.encode() + b"\n" + (b"\n" + body if body else b"")


@pytest.mark.parametrize(
    "version", ["1.0", "1.1", "1.2", "2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "2.9"]
)
def test_every_metadata_version_is_read(version: str) -> None:
    meta = read_core_metadata(_meta(version))
    assert (meta.name, str(meta.version), meta.metadata_version) == ("x", "1", version)


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        # setuptools wrote License-File under 2.1 for years; hatchling License-Expression under 2.3
        (_meta("2.1", "License-File: LICENSE"), "License-File introduced in metadata version 2.4"),
        (_meta("2.3", "License-Expression: MIT"), "License-Expression introduced"),
        (_meta("1.0", "Classifier: Programming Language :: Python"), "Classifier introduced"),
        (_meta("2.0"), "2.0 was never a standard version"),
        (_meta("2.1", "Requires-Dist: foo (>=1.0"), "Requires-Dist"),
        (_meta("2.1", "Requires-Python: >=3.5.*"), "Requires-Python"),
        (_meta("2.1", "X-Custom: y"), "Unknown field 'x-custom'"),
        (_meta("2.1", body=b"caf\xe9 au lait"), "not UTF-8"),
        (_meta("2.4", "License-Expression: not a licence ("), "License-Expression"),
        (b"Name: x\nVersion: 1\n", "Metadata-Version is missing"),
        (_meta("2.9"), "newer than this server knows"),
    ],
)
def test_spec_departures_are_warnings(raw: bytes, words: str) -> None:
    meta = read_core_metadata(raw)
    assert any(words.casefold() in warning.casefold() for warning in meta.warnings), meta.warnings


def test_clean_metadata_has_no_warnings() -> None:
    raw = _meta(
        "2.4",
        "Summary: fine",
        "License-Expression: MIT",
        "License-File: LICENSE",
        "Requires-Python: >=3.9",
        "Requires-Dist: httpx>=0.27",
    )
    meta = read_core_metadata(raw)
    assert meta.warnings == ()
    assert meta.requires_python == ">=3.9"
    assert meta.requires_dist == ("httpx>=0.27",)


def test_unparseable_fields_are_left_out_of_what_installers_see() -> None:
    meta = read_core_metadata(
        _meta("2.1", "Requires-Python: >=3.5.*", "Requires-Dist: ok", "Requires-Dist: bad (")
    )
    assert meta.requires_python is None
    assert meta.requires_dist == ("ok",)


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"Metadata-Version: 2.1\nVersion: 1\n", "Name is missing"),
        (b"Metadata-Version: 2.1\nName: x\n", "Version is missing"),
        (b"Metadata-Version: 2.1\nName: x\nVersion: one\n", "not a PEP 440 version"),
        (b"Metadata-Version: 3.0\nName: x\nVersion: 1\n", "Unsupported Metadata-Version"),
        (b"Metadata-Version: 2.garbage\nName: x\nVersion: 1\n", "must be MAJOR.MINOR"),
        (b"Metadata-Version: 2\nName: x\nVersion: 1\n", "must be MAJOR.MINOR"),
        (b"Metadata-Version: 2.1\nName: x\nName: y\nVersion: 1\n", "Name cannot be read"),
        (b"Metadata-Version: 2.1\nName: \xff\nVersion: 1\n", "Name cannot be read"),
    ],
)
def test_what_installers_need_refuses(raw: bytes, words: str) -> None:
    with pytest.raises(Invalid, match=words):
        read_core_metadata(raw)


def test_warnings_are_bounded() -> None:
    lines = [f"X-Field-{n}: {'v' * 1000}" for n in range(200)]
    meta = read_core_metadata(_meta("2.1", *lines))
    assert len(meta.warnings) == MAX_WARNINGS + 1
    assert all(len(w) <= 300 for w in meta.warnings)
    assert meta.warnings[-1].startswith("… and ")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_any_bytes_are_read_or_refused_with_a_sentence(raw: bytes) -> None:
    try:
        meta = read_core_metadata(b"Metadata-Version: 2.1\nName: x\nVersion: 1\n" + raw)
    except Invalid as err:
        assert str(err).endswith(".")
    else:
        assert len(meta.warnings) <= MAX_WARNINGS + 1


def test_a_version_of_thousands_of_digits_is_refused_not_a_crash() -> None:
    with pytest.raises(Invalid, match="at most 100 characters"):
        read_core_metadata(b"Metadata-Version: 2.1\nName: x\nVersion: " + b"9" * 5000 + b"\n")
