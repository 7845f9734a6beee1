"""Use cases for views: list, create, rename, delete, visibility; promote and demote.

Readers list a feed's views; owners (with a ``packaging:manage`` token) create,
rename and delete them and set their visibility; contributors promote a version
to a view; owners also demote. ``local`` (every version) is fixed. Every change
bumps the feed's serial, so pages through the view are rebuilt.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quiver.domain.errors import Conflict, Invalid, NotFound
from quiver.domain.events import EventKind
from quiver.domain.names import validate_feed_name
from quiver.domain.roles import Role, Scope, Visibility
from quiver.services.access import authorize
from quiver.services.changes.record import Actor
from quiver.services.context import Context
from quiver.services.index.service import live
from quiver.services.packages.models import Package, Version
from quiver.services.records import FeedInfo, FeedRef, Principal
from quiver.services.recycle.service import live_version
from quiver.services.unitofwork import unit_of_work
from quiver.services.upstreams.models import Upstream, view_key
from quiver.services.upstreams.queries import feed_refs
from quiver.services.views.models import LOCAL_VIEW, FeedView, ViewVersion
from quiver.services.views.queries import feed_views, find_view, is_local, readable_view, widest
from quiver.services.views.records import Promotion, ViewDetails

FIXED = (
    f"The view {LOCAL_VIEW} is every version in the feed: it cannot be created, renamed or deleted."
)


class _Unchanged(Exception):
    """Leaves a unit of work that changed nothing: rolled back, no event, no invalidation."""

    def __init__(self, result: Promotion) -> None:
        super().__init__()
        self.result = result


def _view_name(name: str) -> str:
    name = name.strip()
    try:
        validate_feed_name(name)
    except Invalid as err:
        raise Invalid(str(err).replace("Feed name", "View name", 1)) from None
    if is_local(name):
        raise Invalid(FIXED)
    return name


def _details(feed: FeedInfo, view: FeedView, versions: int | None = None) -> ViewDetails:
    own = Visibility(view.visibility) if view.visibility else None
    return ViewDetails(
        name=view.name,
        visibility=view.visibility,
        effective_visibility=widest(feed.visibility, own).value,
        created_at=view.created_at,
        versions=versions,
    )


async def _owned(ctx: Context, principal: Principal, ref: FeedRef) -> FeedInfo:
    feed = await authorize(ctx, principal, FeedRef(ref.org, ref.project, ref.feed), Role.OWNER)
    principal.require_scope(Scope.MANAGE)
    return feed


async def _get_view(session: AsyncSession, feed: FeedInfo, name: str) -> FeedView:
    if is_local(name):
        raise Invalid(FIXED)
    view = await session.scalar(
        select(FeedView).where(FeedView.feed_id == feed.id, FeedView.name_key == name.casefold())
    )
    if view is None:
        raise NotFound(f"View {name} does not exist in feed {feed.ref}.")
    return view


async def list_views(ctx: Context, principal: Principal, ref: FeedRef) -> list[ViewDetails]:
    """``local`` first, then the feed's views by name, with how many versions each has."""
    feed = await authorize(ctx, principal, FeedRef(ref.org, ref.project, ref.feed), Role.READER)
    counts = (
        select(ViewVersion.view_id, func.count().label("n"))
        .join(Version, Version.id == ViewVersion.version_id)
        .where(live())
        .group_by(ViewVersion.view_id)
        .subquery()
    )
    async with ctx.sessions() as session:
        rows = (
            await session.execute(
                select(FeedView, counts.c.n)
                .outerjoin(counts, counts.c.view_id == FeedView.id)
                .where(FeedView.feed_id == feed.id)
                .order_by(FeedView.name_key)
            )
        ).all()
        total = await session.scalar(
            select(func.count(Version.id))
            .join(Package, Package.id == Version.package_id)
            .where(Package.feed_id == feed.id, live())
        )
    local = ViewDetails(LOCAL_VIEW, None, feed.visibility.value, None, int(total or 0))
    return [local, *(_details(feed, view, int(n or 0)) for view, n in rows)]


async def create_view(
    ctx: Context,
    principal: Principal,
    ref: FeedRef,
    name: str,
    visibility: Visibility | None = None,
) -> ViewDetails:
    """A new, empty view of the feed (owners)."""
    feed = await _owned(ctx, principal, ref)
    name = _view_name(name)
    async with unit_of_work(ctx, Actor.of(principal)) as work:
        view = FeedView(
            feed_id=feed.id,
            name=name,
            name_key=name.casefold(),
            visibility=visibility.value if visibility else None,
        )
        work.session.add(view)
        try:
            await work.session.flush()
        except IntegrityError:
            raise Conflict(f"Feed {feed.ref} already has a view named {name}.") from None
        detail = {"visibility": view.visibility} if view.visibility else None
        await work.record(feed.id, EventKind.VIEW_CREATE, view=name, detail=detail)
    return _details(feed, view, 0)


async def update_view(
    ctx: Context,
    principal: Principal,
    ref: FeedRef,
    name: str,
    *,
    new_name: str | None = None,
    visibility: Visibility | None = None,
    clear_visibility: bool = False,
) -> ViewDetails:
    """Rename a view and/or set its visibility (owners); None clears it to the feed's.

    Upstream sources that read the view follow the new name.
    """
    feed = await _owned(ctx, principal, ref)
    renamed = _view_name(new_name) if new_name is not None else None
    async with unit_of_work(ctx, Actor.of(principal)) as work:
        session = work.session
        view = await _get_view(session, feed, name)
        before = {"name": view.name, "visibility": view.visibility}
        if renamed is not None and renamed != view.name:
            old_key = view.name_key
            view.name, view.name_key = renamed, renamed.casefold()
            try:
                await session.flush()
            except IntegrityError:
                raise Conflict(f"Feed {feed.ref} already has a view named {renamed}.") from None
            # Matched on the stored casefold: SQL lower() is not Python's casefold().
            await session.execute(
                update(Upstream)
                .where(Upstream.source_feed_id == feed.id, Upstream.source_view_key == old_key)
                .values(source_view=renamed, source_view_key=view_key(renamed))
            )
        if visibility is not None:
            view.visibility = visibility.value
        elif clear_visibility:
            view.visibility = None
        after = {"name": view.name, "visibility": view.visibility}
        await work.record(
            feed.id,
            EventKind.VIEW_UPDATE,
            view=view.name,
            detail={"before": before, "after": after},
        )
    return _details(feed, view)


async def delete_view(ctx: Context, principal: Principal, ref: FeedRef, name: str) -> None:
    """Delete a view (owners); its versions stay in the feed.

    Refused (Conflict) while another feed reads it as an upstream source.
    """
    feed = await _owned(ctx, principal, ref)
    async with unit_of_work(ctx, Actor.of(principal)) as work:
        session = work.session
        view = await _get_view(session, feed, name)
        users = (
            await session.scalars(
                select(Upstream.feed_id).where(
                    Upstream.source_feed_id == feed.id,
                    Upstream.source_view_key == view.name_key,
                )
            )
        ).all()
        if users:
            refs = sorted((await feed_refs(session, list(users))).values())
            raise Conflict(
                f"View {view.name} of feed {feed.ref} is an upstream source of "
                f"{', '.join(refs)}: remove that source first."
            )
        await session.execute(delete(FeedView).where(FeedView.id == view.id))
        await work.record(feed.id, EventKind.VIEW_DELETE, view=view.name)


async def promote(
    ctx: Context,
    principal: Principal,
    ref: FeedRef,
    package_name: str,
    version_text: str,
    view_name: str,
) -> Promotion:
    """Add a version to a view (contributors); promoting it again changes nothing."""
    feed = await authorize(
        ctx, principal, FeedRef(ref.org, ref.project, ref.feed), Role.CONTRIBUTOR
    )
    if is_local(view_name):
        raise Invalid(f"Every version is in the view {LOCAL_VIEW} already.")
    try:
        async with unit_of_work(ctx, Actor.of(principal)) as work:
            session = work.session
            view = await _get_view(session, feed, view_name)
            package, version = await live_version(session, feed, package_name, version_text)
            done = Promotion(feed.ref, view.name, package.name, version.version, True)
            if await session.get(ViewVersion, (view.id, version.id)) is not None:
                raise _Unchanged(done)
            session.add(
                ViewVersion(view_id=view.id, version_id=version.id, promoted_by=principal.user_id)
            )
            try:
                await session.flush()
            except IntegrityError:  # promoted at the same time by someone else
                raise _Unchanged(done) from None
            await work.record(
                feed.id,
                EventKind.PROMOTE,
                package=package.name,
                version=version.version,
                view=view.name,
            )
    except _Unchanged as unchanged:
        return unchanged.result
    return done


async def demote(
    ctx: Context,
    principal: Principal,
    ref: FeedRef,
    package_name: str,
    version_text: str,
    view_name: str,
) -> Promotion:
    """Take a version out of a view (owners); it stays in the feed."""
    feed = await authorize(ctx, principal, FeedRef(ref.org, ref.project, ref.feed), Role.OWNER)
    if is_local(view_name):
        raise Invalid(
            f"A version cannot leave the view {LOCAL_VIEW}: delete it from the feed instead."
        )
    async with unit_of_work(ctx, Actor.of(principal)) as work:
        session = work.session
        view = await _get_view(session, feed, view_name)
        package, version = await live_version(session, feed, package_name, version_text)
        result = await session.execute(
            delete(ViewVersion).where(
                ViewVersion.view_id == view.id, ViewVersion.version_id == version.id
            )
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            raise NotFound(
                f"Version {version.version} of {package.name} is not in view {view.name} "
                f"of feed {feed.ref}."
            )
        await work.record(
            feed.id,
            EventKind.DEMOTE,
            package=package.name,
            version=version.version,
            view=view.name,
        )
    return Promotion(feed.ref, view.name, package.name, version.version, False)


__all__ = [
    "Promotion",
    "ViewDetails",
    "create_view",
    "delete_view",
    "demote",
    "feed_views",
    "find_view",
    "is_local",
    "list_views",
    "promote",
    "readable_view",
    "update_view",
]
