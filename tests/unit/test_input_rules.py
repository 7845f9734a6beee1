"""The pure parts of the input rules: Range parsing, the NUL/surrogate checks, tokens."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quiver.api.errors import one_line
from quiver.api.input_guard import json_refusal, query_refusal, refusal
from quiver.api.ranges import Unsatisfiable, byte_ranges
from quiver.domain.continuation import MAX_NUMBER, Position, read_token
from quiver.domain.distributions import FILENAME_MAX_BYTES, parse_filename
from quiver.domain.errors import Invalid


@pytest.mark.parametrize(
    ("header", "spans"),
    [
        ("bytes=0-9", [(0, 10)]),
        ("Bytes = 0-9", [(0, 10)]),  # the unit is case-insensitive; spaces are forgiven
        ("bytes=10-", [(10, 100)]),
        ("bytes=-5", [(95, 100)]),
        ("bytes=-500", [(0, 100)]),
        ("bytes=0-0, 5-9", [(0, 1), (5, 10)]),
        ("bytes=0-9,,", [(0, 10)]),
        ("bytes=90-999999999999999999999999", [(90, 100)]),
        ("bytes=0-5, 200-300", [(0, 6)]),
        ("bytes=abc", None),
        ("bits=0-5", None),
        ("bytes=5-2", None),
        ("bytes=", None),
        ("bytes=-", None),
        ("bytes=0-5,x", None),
        ("bytes=１-5", None),
        ("bytes=" + ",".join(["0-1"] * 101), None),
    ],
)
def test_byte_ranges(header: str, spans: list[tuple[int, int]] | None) -> None:
    assert byte_ranges(header, 100) == spans


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=-0", "bytes=500-600", "bytes=0-"])
def test_unsatisfiable_ranges(header: str) -> None:
    size = 0 if header == "bytes=0-" else 100
    with pytest.raises(Unsatisfiable):
        byte_ranges(header, size)


@given(st.text(max_size=40), st.integers(0, 10**6))
def test_byte_ranges_never_fail_otherwise(header: str, size: int) -> None:
    try:
        spans = byte_ranges(header, size)
    except Unsatisfiable:
        return
    for start, end in spans or []:
        assert 0 <= start < end <= size


def test_refusals() -> None:
    assert refusal("fine é 😀", "path") is None
    assert "NUL" in (refusal("a\x00", "path") or "")
    assert "surrogate" in (refusal("a\ud800", "JSON body") or "")
    assert query_refusal(b"a=1&b=%41", "query string") is None
    assert "NUL" in (query_refusal(b"a=1&b%00=2", "query string") or "")
    assert "NUL" in (query_refusal(b"a=x%00y", "query string") or "")
    assert json_refusal(b'{"a": ["\\ud83d\\ude00", "\\\\u0000"]}') is None
    assert "NUL" in (json_refusal(b'{"a": [{"b": "\\u0000"}]}') or "")
    assert "surrogate" in (json_refusal(b'{"\\udc00": 1}') or "")
    assert json_refusal(b"not json") is None  # the route refuses it in its own words
    assert "deeply" in (json_refusal(b"[" * 100_000 + b"]" * 100_000) or "")


def test_one_line() -> None:
    assert one_line("a\nb\r\x00\ud800\u2028 é") == "a\\nb\\r\\x00\\ud800\\u2028 é"


def test_token_numbers_are_64_bit() -> None:
    assert read_token(Position("changes", 1, MAX_NUMBER).token(), "changes", 1, "a/b").seq == (
        MAX_NUMBER
    )
    for feed_id, seq in ((1, MAX_NUMBER + 1), (MAX_NUMBER + 1, 1), (1, 10**80)):
        with pytest.raises(Invalid, match="malformed"):
            read_token(Position("changes", feed_id, seq).token(), "changes", 1, "a/b")


def test_filename_bytes_and_ascii() -> None:
    stem, tags = "pkg-1.0-1", "-py3-none-any.whl"
    longest = stem + "a" * (FILENAME_MAX_BYTES - len(stem) - len(tags)) + tags
    assert parse_filename(longest).name == "pkg"
    with pytest.raises(Invalid, match=f"{FILENAME_MAX_BYTES} bytes"):
        parse_filename(longest.replace("-1a", "-1aa"))
    for odd in ("pkg-1.0-py3-none-linux_é.whl", "pkg-1.0-1é-py3-none-any.whl", "pkgé-1.0.tar.gz"):
        with pytest.raises(Invalid, match="ASCII"):
            parse_filename(odd)
