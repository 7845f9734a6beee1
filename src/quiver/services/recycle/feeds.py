"""The feed recycle bin: restore a deleted feed, purge it, list the bin, purge expired feeds.

``delete_feed`` (``quiver.services.feeds.service``) moves a feed here: it keeps
every row and blob, its name stays reserved, and every read and write is
refused with a 410 saying how to restore it. Restoring brings it back as it
was (packages, views, permissions, upstream sources). Purging deletes its rows
and the blobs no other feed's file uses; the server purges feeds that have been
in the bin for ``recycle_bin_days`` on its own (``purge_expired_feeds``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from quiver.db.base import utcnow
from quiver.domain.errors import Conflict
from quiver.domain.events import EventKind
from quiver.domain.feed_bin import purge_after
from quiver.domain.roles import Role, Scope
from quiver.services.access import authorize, feed_info, role_on
from quiver.services.changes.record import SERVER, Actor
from quiver.services.context import Context
from quiver.services.feeds.models import Feed
from quiver.services.feeds.service import FeedDetails, bump_downstream
from quiver.services.orgs.models import Project
from quiver.services.orgs.service import get_org, get_project, visible_org
from quiver.services.packages.models import File
from quiver.services.records import FeedInfo, FeedRef, Principal
from quiver.services.recycle.claims import forget_blobs
from quiver.services.recycle.records import BinnedFeed
from quiver.services.tokens.models import Token, TokenFeed
from quiver.services.unitofwork import Work, unit_of_work
from quiver.services.upstreams.graph import lock_graph, renumber, upstream_rows
from quiver.services.upstreams.models import Upstream

log = logging.getLogger("quiver.recycle")


def binned(ctx: Context, details: FeedDetails) -> BinnedFeed:
    """``details`` of a feed in the bin, with its purge time."""
    deleted_at = details.deleted_at
    assert deleted_at is not None
    return BinnedFeed(
        details,
        deleted_at,
        details.deleted_by,
        purge_after(deleted_at, ctx.settings.recycle_bin_days),
    )


async def _owned_in_bin(ctx: Context, principal: Principal, ref: FeedRef, *, verb: str) -> FeedInfo:
    """The feed ``ref`` names, if the caller owns it and it is in the bin (409 if not)."""
    info = await authorize(ctx, principal, ref, Role.OWNER, include_deleted=True)
    principal.require_scope(Scope.MANAGE)
    if info.deleted_at is None:
        raise Conflict(_not_in_bin(info.ref, verb))
    return info


def _not_in_bin(ref: str, verb: str) -> str:
    if verb == "restore":
        return f"Feed {ref} is not in the recycle bin: there is nothing to restore."
    return f"Feed {ref} is not in the recycle bin: delete it first, then purge it."


async def restore_feed(ctx: Context, principal: Principal, ref: FeedRef) -> FeedDetails:
    """Bring a feed back from the recycle bin unchanged (owners)."""
    info = await _owned_in_bin(ctx, principal, ref, verb="restore")
    async with unit_of_work(ctx, Actor.of(principal)) as work:
        session = work.session
        feed = await session.get(Feed, info.id, populate_existing=True)
        if feed is None or feed.deleted_at is None:
            raise Conflict(_not_in_bin(info.ref, "restore"))
        detail = {"deleted_at": feed.deleted_at.isoformat(), "deleted_by": feed.deleted_by}
        feed.deleted_at = None
        feed.deleted_by = None
        await session.flush()
        await work.record(info.id, EventKind.FEED_RESTORE, detail=detail)
        await bump_downstream(session, info.id)
        await session.refresh(feed)
    return FeedDetails.of(feed, info.ref, info.org, info.project, Role.OWNER)


async def purge_feed(ctx: Context, principal: Principal, ref: FeedRef) -> None:
    """Delete a feed in the recycle bin for good (owners): rows, then unshared blobs."""
    info = await _owned_in_bin(ctx, principal, ref, verb="purge")
    if not await _purge(ctx, info.id, Actor.of(principal)):
        raise Conflict(_not_in_bin(info.ref, "purge"))


async def list_feed_recycle_bin(
    ctx: Context, principal: Principal, org_name: str, project_name: str | None = None
) -> list[BinnedFeed]:
    """The feeds in the recycle bin of an organization (or project) that the caller owns."""
    principal.require_user()
    async with ctx.sessions() as session:
        org = await get_org(session, org_name)
        query = (
            select(Feed, Project.name)
            .outerjoin(Project, Project.id == Feed.project_id)
            .where(Feed.org_id == org.id, Feed.deleted_at.is_not(None))
            .order_by(Feed.deleted_at, Feed.path_key)
        )
        if project_name is not None:
            scope = await get_project(session, org, project_name)
            query = query.where(Feed.project_id == scope.id)
        rows = (await session.execute(query)).all()
    result = []
    for feed, project in rows:
        info = feed_info(feed, org.name, project)
        role = await role_on(ctx, principal, info)
        if role >= Role.OWNER and (principal.feed_ids is None or feed.id in principal.feed_ids):
            result.append(binned(ctx, FeedDetails.of(feed, info.ref, org.name, project, role)))
    if not result:
        async with ctx.sessions() as session:
            await visible_org(session, principal, org_name)
    return result


async def purge_expired_feeds(ctx: Context, now: datetime | None = None) -> int:
    """Purge every feed that has been in the bin ``recycle_bin_days`` or longer; how many."""
    cutoff = (now or utcnow()) - timedelta(days=ctx.settings.recycle_bin_days)
    async with ctx.sessions() as session:
        due = (
            await session.scalars(
                select(Feed.id).where(Feed.deleted_at.is_not(None), Feed.deleted_at <= cutoff)
            )
        ).all()
    purged = 0
    for feed_id in due:
        try:
            purged += await _purge(ctx, feed_id, SERVER, cutoff=cutoff)
        except Exception:
            log.exception("purging feed #%s from the recycle bin failed", feed_id)
    return purged


async def _purge(
    ctx: Context, feed_id: int, actor: Actor, *, cutoff: datetime | None = None
) -> bool:
    """Delete the feed if it is (still) in the bin, deleted no later than ``cutoff``.

    Feeds that used it as an upstream source lose that source (their lists are
    renumbered); tokens limited to it alone are revoked, since without a feed
    left to limit them they would reach every feed. Then the blobs no other
    file uses are deleted (content-addressed blobs may be shared).
    """
    async with unit_of_work(ctx, actor) as work:
        session = work.session
        feed = await session.get(Feed, feed_id, with_for_update=True, populate_existing=True)
        if feed is None or feed.deleted_at is None:
            return False
        if cutoff is not None and feed.deleted_at > cutoff:
            return False
        files = await session.execute(
            select(File.blob_key, File.metadata_blob_key).where(File.feed_id == feed_id)
        )
        keys = {key for pair in files for key in pair if key is not None}
        await _drop_as_source(work, feed_id)
        await _revoke_limited_tokens(session, feed_id)
        await session.execute(delete(Feed).where(Feed.id == feed_id))
    await forget_blobs(ctx.engine, ctx.blobs, sorted(keys))
    log.info("purged feed #%s from the recycle bin (%d blobs checked)", feed_id, len(keys))
    return True


async def _drop_as_source(work: Work, feed_id: int) -> None:
    """Remove the purged feed from every upstream list that names it, keeping positions dense."""
    session = work.session
    users = select(Upstream.feed_id).where(Upstream.source_feed_id == feed_id)
    downstream = (await session.scalars(users.distinct().order_by(Upstream.feed_id))).all()
    for other in downstream:
        await lock_graph(session, other)
        rows = await upstream_rows(session, other)
        for row in rows:
            if row.source_feed_id == feed_id:
                await session.delete(row)
                await work.record(other, EventKind.UPSTREAM_REMOVE, detail={"upstream": row.name})
        await session.flush()
        await renumber(session, [row for row in rows if row.source_feed_id != feed_id])


async def _revoke_limited_tokens(session: AsyncSession, feed_id: int) -> None:
    limited = select(TokenFeed.token_id).where(TokenFeed.feed_id == feed_id)
    elsewhere = select(TokenFeed.token_id).where(TokenFeed.feed_id != feed_id)
    await session.execute(
        update(Token)
        .where(Token.id.in_(limited), Token.id.not_in(elsewhere), Token.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


__all__ = [
    "binned",
    "list_feed_recycle_bin",
    "purge_expired_feeds",
    "purge_feed",
    "restore_feed",
]
