"""The feed's recycle bin for versions: delete (to the bin), restore, list.

A version in the bin keeps its rows and blobs but leaves every index (pages,
views, downloads, upstream merges). Restoring brings it back unchanged;
purging removes its rows and the blobs no other file uses
(``quiver.services.recycle.purge``). Its filenames stay recorded forever,
so they can never be published again. Owners do all of it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from quiver.db.base import utcnow
from quiver.domain.errors import Conflict
from quiver.domain.events import EventKind
from quiver.domain.versions import clean_reason
from quiver.services.changes.record import Actor, record_event
from quiver.services.context import Context
from quiver.services.packages.models import File, Package, Version
from quiver.services.records import FeedInfo, FeedRef, Principal
from quiver.services.recycle.queries import entry, filenames_of, find_version, in_bin, owned_feed
from quiver.services.recycle.records import RecycledVersion
from quiver.services.unitofwork import unit_of_work


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
    the bin already, and runs it inside a ``unit_of_work`` (or commits and then
    calls ``ctx.access.invalidate()`` itself). It takes a session, not a ``Work``:
    retention trashes versions in a transaction of its own.
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


async def delete_version(
    ctx: Context,
    principal: Principal,
    ref: FeedRef,
    package_name: str,
    version_text: str,
    reason: str | None = None,
) -> RecycledVersion:
    """Move a version, every file of it, to the feed's recycle bin (owners).

    It leaves every index at once and is purged after ``recycle_bin_days``.
    404 for an unknown package or version, 409 when it is in the bin already.
    """
    text = clean_reason(reason)
    feed = await owned_feed(ctx, principal, ref)
    async with unit_of_work(ctx, Actor.of(principal)) as work:
        package, version = await find_version(work.session, feed, package_name, version_text)
        if version.deleted_at is not None:
            raise Conflict(
                f"Version {version.version} of {package.name} is in the recycle bin of feed "
                f"{feed.ref} already (deleted by {version.deleted_by or 'someone'})."
            )
        await trash_version(work.session, feed, package, version, work.actor, text)
        names = await filenames_of(work.session, version.id)
        return entry(feed, package, version, names, ctx.settings.recycle_bin_days)


async def restore_version(
    ctx: Context, principal: Principal, ref: FeedRef, package_name: str, version_text: str
) -> RecycledVersion:
    """Bring a version back from the recycle bin, unchanged (owners): the same files,
    yank state and views. 404 when it is not in the bin. Answers with the entry it had."""
    feed = await owned_feed(ctx, principal, ref)
    async with unit_of_work(ctx, Actor.of(principal)) as work:
        package, version = await in_bin(work.session, feed, package_name, version_text)
        names = await filenames_of(work.session, version.id)
        found = entry(feed, package, version, names, ctx.settings.recycle_bin_days)
        version.deleted_at = None
        version.deleted_by = None
        await work.record(
            feed.id,
            EventKind.RESTORE,
            package=package.name,
            version=version.version,
            files=found.filenames,
        )
    return found


async def list_recycle_bin(
    ctx: Context, principal: Principal, ref: FeedRef
) -> list[RecycledVersion]:
    """The versions in the feed's recycle bin, first deleted first (owners)."""
    feed = await owned_feed(ctx, principal, ref)
    days = ctx.settings.recycle_bin_days
    async with ctx.sessions() as session:
        rows = (
            await session.execute(
                select(Package, Version)
                .join(Version, Version.package_id == Package.id)
                .where(Package.feed_id == feed.id, Version.deleted_at.is_not(None))
                .order_by(Version.deleted_at, Package.normalized_name, Version.id)
            )
        ).all()
        names = await _filenames(session, [version.id for _package, version in rows])
    return [
        entry(feed, package, version, names.get(version.id, []), days) for package, version in rows
    ]


async def _filenames(session: AsyncSession, version_ids: list[int]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = {}
    if version_ids:
        query = select(File.version_id, File.filename).where(File.version_id.in_(version_ids))
        for version_id, filename in await session.execute(query):
            names.setdefault(version_id, []).append(filename)
    return names


__all__ = ["delete_version", "list_recycle_bin", "restore_version", "trash_version"]
