"""The change feed (readers, for mirroring) and the audit log (owners) of a feed.

Both page through ``feed_events`` by ``seq``: a page holds the events after the
position its continuation token names, in ``seq`` order, and returns the token
to continue from. ``seq`` order is commit order within a feed (see
``FeedEvent``), so paging ``WHERE seq > last`` never skips an event that commits
later, and a reader that keeps the last token gets each change exactly once.
The serial also moves without an event (upstream source changes), so ``seq``
values have gaps: only the token says where to go on.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TypeVar

from quiver.domain.changes import DEFAULT_BATCH, MAX_BATCH
from quiver.domain.continuation import Position, read_token
from quiver.domain.errors import Invalid
from quiver.domain.events import CHANGE_KINDS, EventKind
from quiver.domain.roles import Role
from quiver.services.access import authorize
from quiver.services.changes.models import FeedEvent
from quiver.services.changes.queries import events_after
from quiver.services.changes.records import AuditEntry, Change, Page
from quiver.services.context import Context
from quiver.services.records import FeedInfo, FeedRef, Principal

T = TypeVar("T")


async def list_changes(
    ctx: Context,
    principal: Principal,
    ref: FeedRef,
    continuation_token: str | None,
    batch_size: int | None = None,
) -> Page[Change]:
    """The feed's changes after the token's position, oldest first (readers).

    Publishes, saves, promotions, demotions, yanks, un-yanks, deletions,
    restores and purges. 400 for a malformed or foreign token or a batch size
    outside 1..1000.
    """
    size = _batch(batch_size)
    feed = await authorize(ctx, principal, _feed_only(ref), Role.READER)
    start = _start(continuation_token, "changes", feed)
    rows = await _rows(ctx, feed, start.seq, sorted(CHANGE_KINDS), size)
    entries = [_change(row) for row in rows[:size]]
    return _page(feed, start, entries, [row.seq for row in rows], size)


async def list_audit(
    ctx: Context,
    principal: Principal,
    ref: FeedRef,
    continuation_token: str | None,
    batch_size: int | None = None,
    kinds: Collection[str] = (),
) -> Page[AuditEntry]:
    """Every event of the feed after the token's position, oldest first (owners).

    ``kinds`` keeps only those kinds (none: every kind). 400 for an unknown kind,
    a malformed or foreign token or a batch size outside 1..1000.
    """
    size = _batch(batch_size)
    wanted = _kinds(kinds)
    feed = await authorize(ctx, principal, _feed_only(ref), Role.OWNER)
    start = _start(continuation_token, "audit", feed)
    rows = await _rows(ctx, feed, start.seq, wanted, size)
    entries = [_audit(row) for row in rows[:size]]
    return _page(feed, start, entries, [row.seq for row in rows], size)


def _feed_only(ref: FeedRef) -> FeedRef:
    if ref.view is not None:
        raise Invalid(f"Name the feed without '@{ref.view}': a view has no log of its own.")
    return ref


def _batch(batch_size: int | None) -> int:
    if batch_size is None:
        return DEFAULT_BATCH
    if not 1 <= batch_size <= MAX_BATCH:
        raise Invalid(f"batchSize must be between 1 and {MAX_BATCH}; it was {batch_size}.")
    return batch_size


def _kinds(kinds: Collection[str]) -> list[str]:
    known = {kind.value for kind in EventKind}
    wanted = {kind.strip().lower() for kind in kinds if kind.strip()}
    unknown = sorted(wanted - known)
    if unknown:
        raise Invalid(
            f"Unknown event kind {', '.join(unknown)}: use one of {', '.join(sorted(known))}."
        )
    return sorted(wanted)


def _start(token: str | None, log: str, feed: FeedInfo) -> Position:
    if token is None or not token.strip():
        return Position(log, feed.id, 0)
    return read_token(token, log, feed.id, feed.ref)


async def _rows(
    ctx: Context, feed: FeedInfo, after: int, kinds: Sequence[str], size: int
) -> list[FeedEvent]:
    async with ctx.sessions() as session:
        return await events_after(session, feed.id, after, kinds, size)


def _page(
    feed: FeedInfo,
    start: Position,
    entries: list[T],
    seqs: list[int],
    size: int,
) -> Page[T]:
    last = seqs[: len(entries)][-1] if entries else start.seq
    return Page(
        feed=feed.ref,
        entries=entries,
        continuation_token=Position(start.log, feed.id, last).token(),
        has_more=len(seqs) > size,
    )


def _change(row: FeedEvent) -> Change:
    detail = row.detail or {}
    files = detail.get("files")
    reason = detail.get("reason")
    return Change(
        seq=row.seq,
        kind=row.kind,
        package=row.package,
        version=row.version,
        view=row.view,
        files=[str(name) for name in files] if isinstance(files, list) else [],
        reason=str(reason) if reason else None,
        at=row.at,
    )


def _audit(row: FeedEvent) -> AuditEntry:
    return AuditEntry(
        seq=row.seq,
        kind=row.kind,
        package=row.package,
        version=row.version,
        view=row.view,
        actor=row.actor,
        address=row.address,
        detail=dict(row.detail or {}),
        at=row.at,
    )


__all__ = ["list_audit", "list_changes"]
