"""Content negotiation of the simple index (PEP 691), gzip and ETag matching."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quiver.api.negotiation import (
    HTML_V1,
    JSON_V1,
    NotAcceptable,
    Representation,
    accepts_gzip,
    etag_matches,
    negotiate,
    parse_accept,
)

PIP_ACCEPT = f"{JSON_V1}, {HTML_V1}; q=0.1, text/html; q=0.01"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, Representation.TEXT_HTML),
        ("", Representation.TEXT_HTML),
        ("*/*", Representation.TEXT_HTML),
        ("text/html", Representation.TEXT_HTML),
        ("text/*", Representation.TEXT_HTML),
        (PIP_ACCEPT, Representation.JSON_V1),
        (BROWSER_ACCEPT, Representation.TEXT_HTML),
        (JSON_V1, Representation.JSON_V1),
        (HTML_V1, Representation.HTML_V1),
        ("application/vnd.pypi.simple.latest+json", Representation.JSON_V1),
        ("application/vnd.pypi.simple.latest+html", Representation.HTML_V1),
        ("application/*", Representation.JSON_V1),
        (f"text/html;q=0.5, {JSON_V1};q=0.6", Representation.JSON_V1),
        (f"text/html;q=0.7, {JSON_V1};q=0.6", Representation.TEXT_HTML),
        # Ties: the more specific match wins, then the client's order.
        (f"*/*, {HTML_V1}", Representation.HTML_V1),
        (f"{HTML_V1}, {JSON_V1}", Representation.HTML_V1),
        (f"{JSON_V1}, {HTML_V1}", Representation.JSON_V1),
        # q=0 excludes, even when a wildcard would match.
        ("text/html;q=0, */*", Representation.JSON_V1),
        (f"{JSON_V1};q=0, application/*;q=0.5", Representation.HTML_V1),
        # Case, spaces and unknown parameters do not matter.
        (f"  {JSON_V1.upper()} ; charset=utf-8 ; q=1.0 ", Representation.JSON_V1),
        # An Accept header made only of garbage is treated as absent.
        ("garbage", Representation.TEXT_HTML),
    ],
)
def test_negotiate(accept: str | None, expected: Representation) -> None:
    assert negotiate(accept) is expected


@pytest.mark.parametrize(
    "accept",
    ["application/json", "image/png, text/plain", "text/html;q=0, application/*;q=0", "*/*;q=0"],
)
def test_nothing_acceptable(accept: str) -> None:
    with pytest.raises(NotAcceptable, match="text/html"):
        negotiate(accept)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (JSON_V1, Representation.JSON_V1),
        (HTML_V1, Representation.HTML_V1),
        ("text/html", Representation.TEXT_HTML),
        ("application/vnd.pypi.simple.latest+json", Representation.JSON_V1),
    ],
)
def test_format_parameter_overrides_accept(value: str, expected: Representation) -> None:
    assert negotiate("image/png", value) is expected


def test_unknown_format_parameter() -> None:
    with pytest.raises(NotAcceptable, match="Unsupported format"):
        negotiate(None, "application/json")


def test_content_types() -> None:
    assert Representation.TEXT_HTML.content_type == "text/html; charset=utf-8"
    assert Representation.JSON_V1.content_type == JSON_V1
    assert Representation.HTML_V1.content_type == HTML_V1
    assert len({r.tag for r in Representation}) == len(Representation)
    assert {r.body_format for r in Representation} == {"html", "json"}


def test_malformed_q_skips_the_element() -> None:
    ranges = parse_accept(f"text/html;q=abc, {JSON_V1};q=2, {HTML_V1};q=0.3, */x")
    assert [(r.type, r.subtype, r.q) for r in ranges] == [
        ("application", "vnd.pypi.simple.v1+html", 0.3)
    ]


MEDIA = st.sampled_from(
    [
        JSON_V1,
        HTML_V1,
        "text/html",
        "application/vnd.pypi.simple.latest+json",
        "application/vnd.pypi.simple.latest+html",
        "*/*",
        "text/*",
        "application/*",
        "image/png",
        "application/json",
    ]
)
Q = st.sampled_from([None, "0", "0.001", "0.1", "0.5", "0.8", "1", "1.0"])


@given(st.lists(st.tuples(MEDIA, Q), min_size=1, max_size=6))
def test_choice_is_never_beaten(elements: list[tuple[str, str | None]]) -> None:
    """The chosen variant has the highest quality; nothing is chosen at quality 0."""
    header = ", ".join(m if q is None else f"{m};q={q}" for m, q in elements)
    ranges = parse_accept(header)

    def quality(rep: Representation) -> float:
        matches = [(r.specificity(rep.value), r) for r in ranges]
        matches = [(s, r) for s, r in matches if s >= 0]
        if not matches:
            return 0.0
        top = max(s for s, _ in matches)
        return min((r for s, r in matches if s == top), key=lambda r: r.index).q

    best = max(quality(rep) for rep in Representation)
    if best == 0:
        with pytest.raises(NotAcceptable):
            negotiate(header)
        return
    chosen = negotiate(header)
    assert quality(chosen) == best


@given(st.sampled_from(list(Representation)), st.sampled_from(["", "x/y, ", "*/*;q=0.1, "]))
def test_exact_type_at_full_quality_wins(rep: Representation, prefix: str) -> None:
    assert negotiate(f"{prefix}{rep.value}") is rep


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, False),
        ("", False),
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("br;q=1.0, gzip;q=0.5", True),
        ("identity", False),
        ("*", True),
        ("gzip;q=0", False),
        ("gzip;q=0, *", False),
        ("*;q=0", False),
        ("x-gzip", True),
    ],
)
def test_accepts_gzip(header: str | None, expected: bool) -> None:
    assert accepts_gzip(header) is expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, False),
        ('"a"', True),
        ('W/"a"', True),
        ('"b", "a"', True),
        ('"b"', False),
        ("*", True),
    ],
)
def test_etag_matches(header: str | None, expected: bool) -> None:
    assert etag_matches(header, '"a"') is expected
