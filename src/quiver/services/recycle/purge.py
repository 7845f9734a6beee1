"""Purging versions from a feed's recycle bin: by an owner, or when their time is up.

A purge removes the version's rows (files, promotions, the version; the package
too when nothing of it is left and it was never published here, so the
dependency-confusion guard of a published name survives) and, after the
commit, every blob no file row uses any longer (blobs are content-addressed and
may be shared by files of other feeds). The filename records stay, so the
filenames can never be published again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select

from quiver.db.base import utcnow
from quiver.domain.errors import Conflict
from quiver.domain.events import EventKind
from quiver.services.changes.record import SERVER, Actor
from quiver.services.context import Context
from quiver.services.packages.models import File, Package, Version
from quiver.services.records import FeedRef, Principal
from quiver.services.recycle.claims import forget_blobs
from quiver.services.recycle.queries import entry, find_version, owned_feed
from quiver.services.recycle.records import RecycledVersion
from quiver.services.unitofwork import Work, unit_of_work
from quiver.services.views.models import ViewVersion

log = logging.getLogger("quiver.recycle")


@dataclass(frozen=True)
class _Purged:
    filenames: tuple[str, ...]
    blob_keys: tuple[str, ...]


async def purge_version(
    ctx: Context, principal: Principal, ref: FeedRef, package_name: str, version_text: str
) -> RecycledVersion:
    """Delete a version in the recycle bin for good, with its blobs (owners).

    404 for an unknown version; 409 for one that is not in the bin (delete it first).
    Answers with the entry it had in the bin.
    """
    feed = await owned_feed(ctx, principal, ref)
    async with unit_of_work(ctx, Actor.of(principal)) as work:
        package, version = await find_version(work.session, feed, package_name, version_text)
        if version.deleted_at is None:
            raise Conflict(
                f"Version {version.version} of {package.name} is not in the recycle bin of feed "
                f"{feed.ref}: only deleted versions can be purged, so delete it first."
            )
        purged = await _purge(work, feed.id, package, version)
        found = entry(feed, package, version, purged.filenames, ctx.settings.recycle_bin_days)
    await forget_blobs(ctx.engine, ctx.blobs, purged.blob_keys)
    return found


async def purge_expired_versions(ctx: Context, now: datetime | None = None) -> int:
    """Purge every version, of every feed, in the recycle bin for longer than
    ``recycle_bin_days`` (as the server: one PURGE event each); returns how many."""
    cutoff = (now or utcnow()) - timedelta(days=ctx.settings.recycle_bin_days)
    async with ctx.sessions() as session:
        due = list(
            await session.scalars(
                select(Version.id)
                .where(Version.deleted_at.is_not(None), Version.deleted_at < cutoff)
                .order_by(Version.deleted_at, Version.id)
            )
        )
    count = 0
    for version_id in due:
        if await _purge_expired(ctx, version_id, cutoff):
            count += 1
    if count:
        log.info("purged %d version(s) from recycle bins", count)
    return count


async def _purge_expired(ctx: Context, version_id: int, cutoff: datetime) -> bool:
    """Purge one version if it is still in the bin and expired (one transaction)."""
    async with unit_of_work(ctx, SERVER) as work:
        version = await work.session.scalar(
            select(Version).where(Version.id == version_id).with_for_update()
        )
        if version is None or version.deleted_at is None or version.deleted_at >= cutoff:
            return False  # purged or restored meanwhile
        package = await work.session.get_one(Package, version.package_id)
        purged = await _purge(work, package.feed_id, package, version)
    await forget_blobs(ctx.engine, ctx.blobs, purged.blob_keys)
    return True


async def _purge(work: Work, feed_id: int, package: Package, version: Version) -> _Purged:
    """Delete the version's rows and record the purge, in the caller's unit of work."""
    session = work.session
    files = (await session.execute(select(File).where(File.version_id == version.id))).scalars()
    rows = list(files)
    keys = {key for row in rows for key in (row.blob_key, row.metadata_blob_key) if key}
    filenames = tuple(sorted(row.filename for row in rows))
    await session.execute(delete(ViewVersion).where(ViewVersion.version_id == version.id))
    await session.execute(delete(File).where(File.version_id == version.id))
    await session.execute(delete(Version).where(Version.id == version.id))
    others = await session.scalar(
        select(exists().where(Version.package_id == package.id, Version.id != version.id))
    )
    if not others and package.published_at is None:
        # Nothing left, and never published here: no guard to keep.
        await session.execute(delete(Package).where(Package.id == package.id))
    await work.record(
        feed_id,
        EventKind.PURGE,
        package=package.name,
        version=version.version,
        files=filenames,
    )
    return _Purged(filenames, tuple(sorted(keys)))


__all__ = ["purge_expired_versions", "purge_version"]
