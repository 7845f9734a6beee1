"""Per-source health of index upstreams: the last good fetch and the last failure.

The read path (listing.py) reports every answer it gets for an index upstream as a
``Seen``: a page (or "not found": the index answered) fetched at some time, or a
failure with its time and reason. Fetches are on the hot path of installs, so the
row is not written per request. ``HealthBook`` (one per process, on the
``UpstreamCache``) remembers what this process last wrote for each upstream row and
lets a new observation through only when it changes something that matters:

* the state flips (ok → error, error → ok), or the failure is of another kind
  (the same failure on another package's page is the same kind);
* or the time it would store is at least ``REWRITE_AFTER`` newer than the stored one.

An answer older than what was already written (a cache hit, a stale page) is never
news. ``write_seen`` then writes it in a short transaction of its own, which never
moves a stored time backwards (another process may have written a newer one), and
``note`` logs and forgets a failed write rather than failing the request.

Feed upstreams (another feed of this server) have no health: they are read from this
server's database, there is nothing to fetch, and nothing is recorded for them.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, update

from quiver.db.engine import SessionFactory
from quiver.services.upstreams.models import ERROR_LENGTH, Upstream

log = logging.getLogger("quiver.upstreams")
REWRITE_AFTER = timedelta(seconds=60)
# ``scheme://user:password@`` in any URL a message quotes: the userinfo goes.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s?#]*@")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\s]+")
REDACTED = "[redacted]"


@dataclass(frozen=True)
class Seen:
    """One answer of an upstream: ``error`` None for a good fetch at ``at``.

    ``kind`` says which failures are the same (``error_kind``); "" for a good fetch.
    """

    at: datetime
    error: str | None = None
    kind: str = ""


def good(fetched_at: float) -> Seen:
    """A page (or "not found") fetched at ``fetched_at`` (``time.time()``)."""
    return Seen(datetime.fromtimestamp(fetched_at, UTC))


def failed(
    failed_at: float, reason: str, *, secret: str | None, page_url: str, index_url: str
) -> Seen:
    """A failure at ``failed_at``; ``reason`` becomes a safe ``error_sentence``."""
    sentence = error_sentence(reason, secret)
    return Seen(
        datetime.fromtimestamp(failed_at, UTC),
        sentence,
        error_kind(sentence, page_url, index_url),
    )


def error_sentence(reason: str, secret: str | None = None) -> str:
    """``reason`` as one stored sentence: no credentials, no control characters, capped.

    The client's messages already name URLs without credentials; this is the second
    line of defence, for whatever else may quote one: userinfo in URLs is dropped and
    the upstream's password, if it appears anyway, is replaced.
    """
    text = _USERINFO.sub(r"\1", reason)
    if secret:
        text = text.replace(secret, REDACTED)
    text = _CONTROL.sub(" ", text).strip() or "The upstream failed for an unknown reason"
    text = text[0].upper() + text[1:]
    if not text.endswith((".", "?", "!")):
        text += "."
    if len(text) > ERROR_LENGTH:
        text = text[: ERROR_LENGTH - 1].rstrip() + "…"
    return text


def error_kind(sentence: str, page_url: str, index_url: str) -> str:
    """What makes two failures the same: the sentence with the package's page named
    as the index (a failing index fails for every package alike)."""
    if page_url and index_url:
        return sentence.replace(page_url, index_url)
    return sentence


@dataclass
class _Written:
    ok_at: datetime | None = None
    error_at: datetime | None = None
    kind: str = ""

    @property
    def failing(self) -> bool:
        return self.error_at is not None and (self.ok_at is None or self.error_at >= self.ok_at)


class HealthBook:
    """What this process last wrote per upstream row; which answers are worth a write."""

    def __init__(self, rewrite_after: timedelta = REWRITE_AFTER) -> None:
        self.rewrite_after = rewrite_after
        self._written: dict[int, _Written] = {}

    def claim(self, upstream_id: int, seen: Seen) -> bool:
        """Whether ``seen`` is worth writing; if so it counts as written from now on
        (so concurrent requests with the same answer do not all write it)."""
        before = self._written.get(upstream_id)
        now = before or _Written()
        if seen.error is None:
            if now.ok_at is not None and seen.at <= now.ok_at:
                return False
            after = _Written(seen.at, now.error_at, now.kind)
            stored = now.ok_at
        else:
            if now.error_at is not None and seen.at <= now.error_at:
                return False
            after = _Written(now.ok_at, seen.at, seen.kind)
            stored = now.error_at
        changed = before is None or after.failing != now.failing or after.kind != now.kind
        if not changed and stored is not None and seen.at - stored < self.rewrite_after:
            return False
        self._written[upstream_id] = after
        return True

    def forget(self, upstream_id: int) -> None:
        """The write failed: the next answer for this row is written again."""
        self._written.pop(upstream_id, None)


async def write_seen(sessions: SessionFactory, upstream_id: int, seen: Seen) -> None:
    """Store ``seen`` on the row in its own short transaction (no event, no serial).

    A stored time is never moved backwards: another process may have written a
    newer answer already. A removed row is simply not there to update.
    """
    statement = update(Upstream).where(Upstream.id == upstream_id)
    if seen.error is None:
        statement = statement.where(
            or_(Upstream.last_ok_at.is_(None), Upstream.last_ok_at < seen.at)
        ).values(last_ok_at=seen.at)
    else:
        statement = statement.where(
            or_(Upstream.last_error_at.is_(None), Upstream.last_error_at < seen.at)
        ).values(last_error_at=seen.at, last_error=seen.error)
    async with sessions() as session, session.begin():
        await session.execute(statement.execution_options(synchronize_session=False))


async def note(
    book: HealthBook,
    sessions: SessionFactory,
    upstream_id: int,
    seen: Seen,
) -> None:
    """Record ``seen`` if ``book`` says it is worth it; never raises for a failed write."""
    if not book.claim(upstream_id, seen):
        return
    try:
        await write_seen(sessions, upstream_id, seen)
    except Exception:
        book.forget(upstream_id)
        log.warning("could not record the health of upstream #%s", upstream_id, exc_info=True)
    except BaseException:  # cancelled: the write may not have happened
        book.forget(upstream_id)
        raise


__all__ = [
    "REWRITE_AFTER",
    "HealthBook",
    "Seen",
    "error_kind",
    "error_sentence",
    "failed",
    "good",
    "note",
    "write_seen",
]
