"""Recording a change: bump the feed's serial and add its event, in the caller's transaction.

Every use case that changes what a feed shows records it, through
``unit_of_work`` (``quiver.services.unitofwork``, whose ``Work.record`` calls
``record_event``): cached pages are rebuilt (the serial moved) and the change
lands in the change feed and audit log at once, or not at all. ``Actor`` and
``SERVER`` live in ``records`` and are importable from here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from quiver.db.base import utcnow
from quiver.domain.events import EventKind
from quiver.services.changes.models import FeedEvent
from quiver.services.changes.records import SERVER, Actor
from quiver.services.feeds.models import Feed


async def record_event(
    session: AsyncSession,
    feed_id: int,
    actor: Actor,
    kind: EventKind,
    *,
    package: str | None = None,
    version: str | None = None,
    view: str | None = None,
    files: Sequence[str] = (),
    detail: dict[str, Any] | None = None,
) -> int:
    """Bump the feed's serial and record the change under it; returns its ``seq``.

    The serial update locks the feed row until the caller commits, so ``seq``
    order is commit order within a feed. After the commit, call
    ``ctx.access.invalidate()`` so this process, and through it every other
    server process (``quiver.services.coherence``), sees the new serial.
    """
    seq = await _bump(session, feed_id)
    facts = dict(detail or {})
    if files:
        facts["files"] = list(files)
    session.add(
        FeedEvent(
            feed_id=feed_id,
            seq=seq,
            kind=kind.value,
            package=package,
            version=version,
            view=view,
            detail=facts or None,
            actor_id=actor.user_id,
            actor=actor.name,
            address=actor.address,
            at=utcnow(),
        )
    )
    await session.flush()
    return seq


async def _bump(session: AsyncSession, feed_id: int) -> int:
    result = await session.execute(
        update(Feed).where(Feed.id == feed_id).values(serial=Feed.serial + 1).returning(Feed.serial)
    )
    return int(result.scalar_one())


__all__ = ["SERVER", "Actor", "record_event"]
