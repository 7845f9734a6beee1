"""The feed's recycle bin for versions: delete (to the bin), restore, purge.

A version in the bin keeps its rows and blobs but leaves every index (pages,
views, downloads, upstream merges). Restoring brings it back unchanged;
purging removes its rows and the blobs no other file uses. Its filenames stay
recorded forever, so they can never be published again.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from quiver.db.base import utcnow
from quiver.domain.events import EventKind
from quiver.services.access import FeedInfo
from quiver.services.events.record import Actor, record_event
from quiver.services.packages.models import Package, Version


async def trash_version(
    session: AsyncSession,
    feed: FeedInfo,
    package: Package,
    version: Version,
    actor: Actor,
    reason: str | None = None,
) -> None:
    """Move ``version`` to the recycle bin and record the deletion, in the caller's transaction.

    The caller has checked the right to delete and that the version is not in
    the bin already; after the commit it calls ``ctx.access.invalidate()``.
    """
    version.deleted_at = utcnow()
    version.deleted_by = actor.name
    await record_event(
        session,
        feed.id,
        actor,
        EventKind.DELETE,
        package=package.name,
        version=version.version,
        detail={"reason": reason} if reason else None,
    )
