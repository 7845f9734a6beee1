"""Reading ``feed_events``: a page of a feed's events after a position, in ``seq`` order.

``seq`` order is commit order within a feed (see ``FeedEvent``), so paging
``WHERE seq > last`` never skips an event that commits later.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from quiver.services.changes.models import FeedEvent


async def events_after(
    session: AsyncSession, feed_id: int, after: int, kinds: Sequence[str], size: int
) -> list[FeedEvent]:
    """Up to ``size + 1`` events of the feed after ``after`` (the extra one says more is
    waiting); only ``kinds``, when any are named."""
    query = select(FeedEvent).where(FeedEvent.feed_id == feed_id, FeedEvent.seq > after)
    if kinds:
        query = query.where(FeedEvent.kind.in_(kinds))
    query = query.order_by(FeedEvent.seq).limit(size + 1)
    return list((await session.scalars(query)).all())


__all__ = ["events_after"]
