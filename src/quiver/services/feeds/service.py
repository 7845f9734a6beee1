"""Use cases for feeds: create, list, show, change and delete (to the recycle bin)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quiver.db.base import utcnow
from quiver.domain.errors import Conflict, Invalid, NotFound
from quiver.domain.events import EventKind
from quiver.domain.feed_bin import reserved_message
from quiver.domain.names import validate_description, validate_feed_name
from quiver.domain.roles import Role, Scope, Visibility
from quiver.services.access import authorize, feed_info, resolve_feed, role_on
from quiver.services.changes.record import Actor
from quiver.services.context import Context
from quiver.services.feeds.models import Feed
from quiver.services.feeds.queries import readable_feeds as readable_feeds
from quiver.services.feeds.records import FeedDetails
from quiver.services.orgs.models import Organization, Project
from quiver.services.orgs.service import get_org, get_project, managed_org, visible_org
from quiver.services.permissions.models import FeedRole
from quiver.services.records import FeedRef, Principal
from quiver.services.unitofwork import unit_of_work
from quiver.services.upstreams.models import Upstream
from quiver.services.views.models import default_views


def _checked(rule: Callable[[str], object], value: str | None) -> None:
    """Run a domain rule on a value the caller gave (None: not given)."""
    if value is not None:
        rule(value)


async def create_feed(
    ctx: Context,
    principal: Principal,
    ref: FeedRef,
    *,
    description: str | None = None,
    visibility: Visibility = Visibility.PRIVATE,
    readers_can_save: bool = False,
    also: Callable[[AsyncSession, Feed], Awaitable[None]] | None = None,
) -> FeedDetails:
    """Create a feed in an organization (or one of its projects); its creator owns it.

    ``also`` runs in the same transaction once the feed has its id (upstream
    sources given at creation), so the feed and its settings appear together.
    """
    _checked(validate_feed_name, ref.feed)
    _checked(validate_description, description)
    if ref.view is not None:
        raise Invalid("A feed name must not contain '@'.")
    async with unit_of_work(ctx) as work:
        session = work.session
        org = await managed_org(session, principal, ref.org)
        project = await get_project(session, org, ref.project) if ref.project else None
        await _refuse_reserved(session, ref)
        feed = Feed(
            org_id=org.id,
            project_id=project.id if project else None,
            name=ref.feed,
            path_key=ref.path_key,
            description=description,
            visibility=visibility.value,
            readers_can_save=readers_can_save,
        )
        session.add(feed)
        try:
            await session.flush()
        except IntegrityError:
            raise Conflict(f"Feed {ref} already exists.") from None
        session.add(FeedRole(feed_id=feed.id, user_id=principal.require_user(), role=Role.OWNER))
        session.add_all(default_views(feed.id))
        if also is not None:
            await also(session, feed)
    return FeedDetails.of(feed, str(ref), org.name, project.name if project else None, Role.OWNER)


async def _refuse_reserved(session: AsyncSession, ref: FeedRef) -> None:
    """409 for the name of a feed in the recycle bin: it stays reserved until purged."""
    deleted_at = await session.scalar(
        select(Feed.deleted_at).where(Feed.path_key == ref.path_key, Feed.deleted_at.is_not(None))
    )
    if deleted_at is not None:
        raise Conflict(reserved_message(str(ref), deleted_at))


async def list_feeds(
    ctx: Context, principal: Principal, org_name: str, project_name: str | None = None
) -> list[FeedDetails]:
    """Feeds of an organization (or project) the caller can read."""
    async with ctx.sessions() as session:
        org = await get_org(session, org_name)
        query = select(Feed, Project.name).outerjoin(Project, Project.id == Feed.project_id)
        query = query.where(Feed.org_id == org.id, Feed.deleted_at.is_(None))
        query = query.order_by(Feed.path_key)
        if project_name is not None:
            scope = await get_project(session, org, project_name)
            query = query.where(Feed.project_id == scope.id)
        rows = (await session.execute(query)).all()
    result = []
    for feed, project in rows:
        info = feed_info(feed, org.name, project)
        role = await role_on(ctx, principal, info)
        if role >= Role.READER and (principal.feed_ids is None or feed.id in principal.feed_ids):
            result.append(FeedDetails.of(feed, info.ref, org.name, project, role))
    if not result and principal.authenticated:
        async with ctx.sessions() as session:
            await visible_org(session, principal, org_name)
    return result


async def get_feed(ctx: Context, principal: Principal, ref: FeedRef) -> FeedDetails:
    info = await authorize(ctx, principal, ref, Role.READER)
    role = await role_on(ctx, principal, info)
    async with ctx.sessions() as session:
        feed = await session.get(Feed, info.id)
    if feed is None:
        raise NotFound(f"Feed {ref} does not exist.")
    return FeedDetails.of(feed, info.ref, info.org, info.project, role)


async def update_feed(
    ctx: Context,
    principal: Principal,
    ref: FeedRef,
    *,
    description: str | None = None,
    visibility: Visibility | None = None,
    clear_description: bool = False,
    readers_can_save: bool | None = None,
) -> FeedDetails:
    """Change a feed's description, visibility or ``readers_can_save`` (owners)."""
    info = await authorize(ctx, principal, ref, Role.OWNER)
    principal.require_scope(Scope.MANAGE)
    _checked(validate_description, description)
    async with unit_of_work(ctx, Actor.of(principal)) as work:
        feed = await work.session.get(Feed, info.id)
        assert feed is not None
        if description is not None or clear_description:
            feed.description = description
        if visibility is not None:
            feed.visibility = visibility.value
        if readers_can_save is not None:
            feed.readers_can_save = readers_can_save
        await work.record(
            feed.id,
            EventKind.FEED_UPDATE,
            detail={
                "description": feed.description,
                "visibility": feed.visibility,
                "readers_can_save": feed.readers_can_save,
            },
        )
    return FeedDetails.of(feed, info.ref, info.org, info.project, Role.OWNER)


async def delete_feed(ctx: Context, principal: Principal, ref: FeedRef) -> FeedDetails:
    """Move a feed to the recycle bin (owners); the feed as it now is.

    Its name stays reserved and every read and write is refused (410 for its
    readers) until an owner restores or purges it, or the scheduled purge takes
    it after ``recycle_bin_days`` (``quiver.services.recycle.feeds``).
    """
    info = await authorize(ctx, principal, ref, Role.OWNER)
    principal.require_scope(Scope.MANAGE)
    async with unit_of_work(ctx, Actor.of(principal)) as work:
        session = work.session
        moved = await session.execute(
            update(Feed)
            .where(Feed.id == info.id, Feed.deleted_at.is_(None))
            .values(deleted_at=utcnow(), deleted_by=principal.username)
        )
        if not moved.rowcount:  # type: ignore[attr-defined]
            raise Conflict(f"Feed {info.ref} is in the recycle bin already.")
        await work.record(info.id, EventKind.FEED_DELETE)
        await bump_downstream(session, info.id)
        feed = await session.get(Feed, info.id, populate_existing=True)
        assert feed is not None
    return FeedDetails.of(feed, info.ref, info.org, info.project, Role.OWNER)


async def bump_downstream(session: AsyncSession, feed_id: int) -> None:
    """Bump the serial of every feed that has ``feed_id`` as an upstream source
    (their pages change when it leaves or comes back)."""
    downstream = select(Upstream.feed_id).where(Upstream.source_feed_id == feed_id)
    await session.execute(
        update(Feed).where(Feed.id.in_(downstream)).values(serial=Feed.serial + 1)
    )


async def feed_refs(ctx: Context, feed_ids: Iterable[int]) -> dict[int, str]:
    """``org/feed`` or ``org/project/feed`` of each feed id (say, a token's limits)."""
    ids = set(feed_ids)
    if not ids:
        return {}
    async with ctx.sessions() as session:
        rows = await session.execute(
            select(Feed.id, Organization.name, Project.name, Feed.name)
            .join(Organization, Organization.id == Feed.org_id)
            .outerjoin(Project, Project.id == Feed.project_id)
            .where(Feed.id.in_(ids))
        )
        return {
            feed_id: "/".join(p for p in (org, project, name) if p)
            for feed_id, org, project, name in rows
        }


async def bump_serial(session: AsyncSession, feed_id: int) -> None:
    """Record a change to the feed's packages, so cached pages are rebuilt.

    Call inside the transaction that makes the change; after it commits, call
    ``ctx.access.invalidate()`` so this process reloads the feed's serial.
    """
    await session.execute(update(Feed).where(Feed.id == feed_id).values(serial=Feed.serial + 1))


__all__ = [
    "FeedDetails",
    "bump_downstream",
    "bump_serial",
    "create_feed",
    "delete_feed",
    "feed_refs",
    "get_feed",
    "list_feeds",
    "resolve_feed",
    "update_feed",
]
