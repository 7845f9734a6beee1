"""Content negotiation for the simple index (PEP 691) and for gzip.

The index offers three media types. ``text/html`` and
``application/vnd.pypi.simple.v1+html`` carry the same HTML body (PEP 503);
``application/vnd.pypi.simple.v1+json`` is PEP 691 JSON. Clients may ask for
``application/vnd.pypi.simple.latest+json|html``, which mean the v1 types; the
response always names the concrete type.

Choosing: ``?format=<media type>`` wins when present (an unknown value is 406).
Otherwise every offer gets the quality of the most specific ``Accept`` range
that matches it (RFC 9110 §12.5.1); the highest quality wins, ties go to the
offer matched more specifically, then to the range the client listed first,
then to the server's order (``text/html`` first, so ``*/*`` and a missing
``Accept`` get HTML as PEP 691 asks for compatibility). Quality 0 means "not
acceptable"; when nothing is acceptable the answer is 406.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

JSON_V1 = "application/vnd.pypi.simple.v1+json"
HTML_V1 = "application/vnd.pypi.simple.v1+html"
TEXT_HTML = "text/html"
_ALIASES = {
    "application/vnd.pypi.simple.latest+json": JSON_V1,
    "application/vnd.pypi.simple.latest+html": HTML_V1,
}
VARY = "Accept, Accept-Encoding"


class Representation(enum.Enum):
    """One negotiated variant of an index page."""

    TEXT_HTML = TEXT_HTML
    HTML_V1 = HTML_V1
    JSON_V1 = JSON_V1

    @property
    def is_json(self) -> bool:
        return self is Representation.JSON_V1

    @property
    def body_format(self) -> str:
        """What the body is: ``"json"`` or ``"html"`` (both HTML types share bytes)."""
        return "json" if self.is_json else "html"

    @property
    def content_type(self) -> str:
        if self is Representation.TEXT_HTML:
            return "text/html; charset=utf-8"
        media: str = self.value
        return media

    @property
    def tag(self) -> str:
        """A short token naming this variant in ETags."""
        return {"text/html": "h", HTML_V1: "h1", JSON_V1: "j1"}[self.value]


#: Server preference, used only to break exact ties.
OFFERS: tuple[Representation, ...] = (
    Representation.TEXT_HTML,
    Representation.JSON_V1,
    Representation.HTML_V1,
)


class NotAcceptable(Exception):
    """No offered representation is acceptable; ``str(err)`` says what is offered."""


@dataclass(frozen=True)
class MediaRange:
    """One element of an ``Accept`` header."""

    type: str
    subtype: str
    q: float
    index: int

    def specificity(self, media_type: str) -> int:
        """-1 if this range does not match ``media_type``, else 0 (*/*), 1 (x/*) or 2."""
        kind, _, sub = media_type.partition("/")
        if self.type == "*":
            return 0 if self.subtype == "*" else -1
        if self.type != kind:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == sub else -1


def _parse_q(params: list[str]) -> float | None:
    """The ``q`` parameter (default 1); None if it is malformed."""
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() != "q":
            continue
        try:
            q = float(value.strip())
        except ValueError:
            return None
        if not 0.0 <= q <= 1.0:
            return None
        return round(q, 3)
    return 1.0


def parse_accept(header: str) -> list[MediaRange]:
    """Parse an ``Accept`` header; malformed elements are skipped, aliases resolved."""
    ranges: list[MediaRange] = []
    for index, element in enumerate(header.split(",")):
        media, *params = element.split(";")
        media = media.strip().lower()
        media = _ALIASES.get(media, media)
        kind, sep, sub = media.partition("/")
        if not sep or not kind or not sub or (kind == "*" and sub != "*"):
            continue
        q = _parse_q(params)
        if q is None:
            continue
        ranges.append(MediaRange(kind, sub, q, index))
    return ranges


def negotiate(accept: str | None, format_param: str | None = None) -> Representation:
    """The representation to send; raises NotAcceptable (406)."""
    if format_param is not None:
        wanted = format_param.strip().lower()
        wanted = _ALIASES.get(wanted, wanted)
        for offer in OFFERS:
            if offer.value == wanted:
                return offer
        raise NotAcceptable(f"Unsupported format {format_param!r}: {_offered()}.")
    if accept is None or not accept.strip():
        return Representation.TEXT_HTML
    ranges = parse_accept(accept)
    if not ranges:
        # Nothing we can read: behave as if the header were absent.
        return Representation.TEXT_HTML
    best: tuple[float, int, int, int] | None = None
    chosen: Representation | None = None
    for rank, offer in enumerate(OFFERS):
        matches = [(r.specificity(offer.value), r) for r in ranges]
        matches = [(s, r) for s, r in matches if s >= 0]
        if not matches:
            continue
        top = max(s for s, _ in matches)
        # Among the most specific ranges the first listed decides.
        match = min((r for s, r in matches if s == top), key=lambda r: r.index)
        if match.q <= 0:
            continue
        score = (match.q, top, -match.index, -rank)
        if best is None or score > best:
            best, chosen = score, offer
    if chosen is None:
        raise NotAcceptable(f"None of the accepted media types is offered: {_offered()}.")
    return chosen


def _offered() -> str:
    return "use " + ", ".join(o.value for o in OFFERS)


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether ``Accept-Encoding`` allows gzip (explicitly or through ``*``)."""
    if not accept_encoding:
        return False
    gzip_q: float | None = None
    star_q: float | None = None
    for element in accept_encoding.split(","):
        coding, *params = element.split(";")
        coding = coding.strip().lower()
        q = _parse_q(params)
        if q is None:
            continue
        if coding in ("gzip", "x-gzip"):
            gzip_q = q if gzip_q is None else max(gzip_q, q)
        elif coding == "*":
            star_q = q
    if gzip_q is not None:
        return gzip_q > 0
    return star_q is not None and star_q > 0


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Weak comparison of ``If-None-Match`` against ``etag`` (RFC 9110 §13.1.2)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    mine = etag.removeprefix("W/")
    return any(
        candidate.strip().removeprefix("W/") == mine for candidate in if_none_match.split(",")
    )
