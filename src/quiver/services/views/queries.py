"""Reading a feed through a view: which views a feed has, and who may read one.

``local`` is every file of the feed and is not stored. Any other view lists
only the versions promoted to it. A view reads like its feed, unless it has a
visibility of its own that is wider: ``organization`` lets every member of the
organization read the view, ``public`` lets anyone read it, while the feed
itself stays as private as it was. A view's visibility never narrows its feed.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from quiver.domain.errors import NotFound
from quiver.domain.roles import Role, Visibility
from quiver.services.access import authorize, check_role, resolve_feed
from quiver.services.context import Context
from quiver.services.records import FeedInfo, FeedRef, Principal, ViewInfo
from quiver.services.views.models import LOCAL_VIEW, FeedView, ViewVersion

_WIDTH = {Visibility.PRIVATE: 0, Visibility.ORGANIZATION: 1, Visibility.PUBLIC: 2}


def is_local(name: str | None) -> bool:
    """Whether ``name`` (None: no view given) means the whole feed."""
    return name is None or name.casefold() == LOCAL_VIEW


def widest(feed: Visibility, view: Visibility | None) -> Visibility:
    """Who reads a view: the wider of its feed's visibility and its own."""
    if view is None or _WIDTH[view] <= _WIDTH[feed]:
        return feed
    return view


async def feed_views(ctx: Context, feed_id: int) -> tuple[ViewInfo, ...]:
    """The feed's views other than ``local``, by name (cached; one query on a miss)."""
    cached = ctx.access.views.get(feed_id)
    if cached is None:
        generation = ctx.access.views.generation
        async with ctx.sessions() as session:
            rows = (
                await session.scalars(
                    select(FeedView).where(FeedView.feed_id == feed_id).order_by(FeedView.name_key)
                )
            ).all()
        cached = tuple(
            ViewInfo(
                id=row.id,
                feed_id=row.feed_id,
                name=row.name,
                visibility=Visibility(row.visibility) if row.visibility else None,
            )
            for row in rows
        )
        ctx.access.views.put(feed_id, cached, generation)
    return cached


async def find_view(ctx: Context, feed_id: int, name: str) -> ViewInfo | None:
    """The view of the feed called ``name`` (any case), or None."""
    key = name.casefold()
    for view in await feed_views(ctx, feed_id):
        if view.name.casefold() == key:
            return view
    return None


async def readable_view(
    ctx: Context, principal: Principal, ref: FeedRef
) -> tuple[FeedInfo, ViewInfo | None]:
    """The feed and view ``ref`` names, if the caller may read them (view None: ``local``).

    The returned FeedInfo carries the visibility that applies to the view. The
    errors are those of ``authorize``; a missing view is NotFound for callers who
    can read the feed.
    """
    if is_local(ref.view):
        return await authorize(ctx, principal, ref, Role.READER), None
    assert ref.view is not None
    feed = await resolve_feed(ctx, ref)
    view = await find_view(ctx, feed.id, ref.view) if feed is not None else None
    if feed is None or view is None:
        found = await authorize(
            ctx, principal, FeedRef(ref.org, ref.project, ref.feed), Role.READER
        )
        raise NotFound(f"View {ref.view} does not exist in feed {found.ref}.")
    seen = replace(feed, visibility=widest(feed.visibility, view.visibility))
    return await check_role(ctx, principal, ref, seen, Role.READER), view


async def views_of_versions(session: AsyncSession, version_ids: list[int]) -> dict[int, list[str]]:
    """The views (other than ``local``) each version is promoted to, by name (for listings)."""
    if not version_ids:
        return {}
    rows = await session.execute(
        select(ViewVersion.version_id, FeedView.name)
        .join(FeedView, FeedView.id == ViewVersion.view_id)
        .where(ViewVersion.version_id.in_(version_ids))
        .order_by(FeedView.name_key)
    )
    found: dict[int, list[str]] = {}
    for version_id, name in rows:
        found.setdefault(version_id, []).append(name)
    return found


__all__ = [
    "ViewInfo",
    "feed_views",
    "find_view",
    "is_local",
    "readable_view",
    "views_of_versions",
    "widest",
]
