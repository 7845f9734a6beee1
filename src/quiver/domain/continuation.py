"""Continuation tokens of the change feed and the audit log.

A token says where a reader stopped: which log of which feed, and the last
``seq`` it has seen. It is opaque to clients (URL-safe base64 of a short text),
carries a format tag so a later format can refuse it clearly, and names its log
and feed so that a token of one is refused by another.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from quiver.domain.errors import Invalid

#: The format tag; a token with another tag is refused.
FORMAT_TAG = "q1"
LOGS = ("changes", "audit")
#: The most characters a token may have (a real one is about 30).
MAX_TOKEN = 200
#: The largest feed id or ``seq`` a token may name: both are 64-bit integers in the
#: database, and a larger number could not even be compared with them there.
MAX_NUMBER = 2**63 - 1


@dataclass(frozen=True)
class Position:
    """After event ``seq`` of feed ``feed_id`` in ``log`` ("changes" or "audit")."""

    log: str
    feed_id: int
    seq: int

    def token(self) -> str:
        text = f"{FORMAT_TAG}:{self.log}:{self.feed_id}:{self.seq}"
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def read_token(token: str, log: str, feed_id: int, feed_ref: str) -> Position:
    """The position ``token`` holds, if it is a token of ``log`` for this feed.

    Invalid (400) for anything else: malformed (numbers past ``MAX_NUMBER``
    included), another format, another log or another feed.
    """
    what = "the change feed" if log == "changes" else "the audit log"
    foreign = (
        f"The continuation token is not one this server gave for {what} of feed {feed_ref}: "
        "start without one, or use the token the last page returned."
    )
    fields = _fields(token)
    if fields is None:
        raise Invalid(
            "The continuation token is malformed: pass the continuationToken a page returned, "
            "unchanged."
        )
    tag, token_log, token_feed, seq = fields
    if tag != FORMAT_TAG or token_log != log or token_feed != feed_id:
        raise Invalid(foreign)
    return Position(log, feed_id, seq)


def _fields(token: str) -> tuple[str, str, int, int] | None:
    text = token.strip()
    if not text or len(text) > MAX_TOKEN:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        decoded = raw.decode("ascii")
    except (binascii.Error, ValueError):
        return None
    parts = decoded.split(":")
    if len(parts) != 4 or parts[1] not in LOGS:
        return None
    tag, log, feed_text, seq_text = parts
    if not (_number(feed_text) and _number(seq_text)):
        return None
    return tag, log, int(feed_text), int(seq_text)


def _number(text: str) -> bool:
    """Whether ``text`` is ASCII digits naming at most ``MAX_NUMBER``."""
    return text.isascii() and text.isdigit() and int(text) <= MAX_NUMBER


__all__ = ["FORMAT_TAG", "LOGS", "MAX_NUMBER", "MAX_TOKEN", "Position", "read_token"]
