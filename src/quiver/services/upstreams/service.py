"""Use cases for a feed's upstream sources: add, list, remove, reorder (feed owners).

The list shows each source's health: the last good fetch and the last failure,
which the read path records (health.py).

Also the per-package upstream behaviour, and the door to the read path: a package
page merged with its upstreams (listing.py), opening and saving an upstream-only
file (save.py), and the HTTP client and its cache the app builds (client.py,
cache.py). How a requested source is checked is in specs.py; the row checks, the
lock and the cycle check in graph.py; the list as the read path sees it in queries.py.

Every change bumps the feed's serial (its index pages depend on the list) and
runs with changes to other feeds' lists serialised, so two concurrent additions
cannot make a cycle between them.
"""

from __future__ import annotations

from collections.abc import Sequence

from packaging.utils import canonicalize_name
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quiver.domain.errors import Conflict, Invalid, NotFound
from quiver.domain.events import EventKind
from quiver.domain.roles import Role, Scope, Visibility
from quiver.services.access import authorize
from quiver.services.changes.record import Actor
from quiver.services.context import Context
from quiver.services.feeds.models import Feed
from quiver.services.feeds.service import FeedDetails, create_feed
from quiver.services.packages.models import Package
from quiver.services.records import FeedInfo, FeedRef, Principal
from quiver.services.unitofwork import unit_of_work
from quiver.services.upstreams.cache import UpstreamCache
from quiver.services.upstreams.client import UpstreamClient
from quiver.services.upstreams.graph import (
    check_new,
    lock_graph,
    new_row,
    refuse_cycle,
    renumber,
    upstream_rows,
)
from quiver.services.upstreams.listing import merged_package
from quiver.services.upstreams.models import Upstream
from quiver.services.upstreams.queries import load_statuses, statuses_of
from quiver.services.upstreams.records import PackageUpstreaming, UpstreamSpec, UpstreamStatus
from quiver.services.upstreams.save import (
    open_remote,
    refused,
    remote_metadata,
    require_save_right,
    stream_and_save,
)
from quiver.services.upstreams.specs import resolve_spec

BEHAVIORS = ("default", "allow-external-versions")


# --- the list ----------------------------------------------------------------------------------


async def list_upstreams(ctx: Context, principal: Principal, ref: FeedRef) -> list[UpstreamStatus]:
    """The feed's upstream sources in order, each with its health (feed owners)."""
    feed = await _owned(ctx, principal, ref)
    async with ctx.sessions() as session:
        return await load_statuses(session, feed.id, ctx.settings.pypi_url)


async def add_upstream(
    ctx: Context, principal: Principal, ref: FeedRef, spec: UpstreamSpec
) -> UpstreamStatus:
    """Append an upstream source to the feed's list (feed owners); it is not checked yet.

    Invalid for a bad name or address, a 21st source or a cycle; Conflict for a
    name (or source) the feed has already; NotFound/Forbidden for a source feed
    the caller cannot read.
    """
    feed = await _owned(ctx, principal, ref)
    resolved = await resolve_spec(ctx, principal, spec)
    async with unit_of_work(ctx, Actor.of(principal)) as work:
        session = work.session
        await lock_graph(session, feed.id)
        rows = await upstream_rows(session, feed.id)
        check_new(feed, rows, [resolved])
        if resolved.source is not None:
            await refuse_cycle(session, feed, resolved.source)
        row = new_row(feed.id, len(rows), resolved)
        session.add(row)
        try:
            await session.flush()
        except IntegrityError:
            raise Conflict(
                f"Feed {feed.ref} already has an upstream source named {resolved.name}."
            ) from None
        (added,) = await statuses_of(session, [row], ctx.settings.pypi_url)
        await work.record(
            feed.id,
            EventKind.UPSTREAM_ADD,
            detail={"upstream": added.info.name, "position": len(rows) + 1},
        )
    return added


async def remove_upstream(ctx: Context, principal: Principal, ref: FeedRef, name: str) -> None:
    """Remove an upstream source (feed owners); files saved from it stay, with their source."""
    feed = await _owned(ctx, principal, ref)
    async with unit_of_work(ctx, Actor.of(principal)) as work:
        session = work.session
        await lock_graph(session, feed.id)
        rows = await upstream_rows(session, feed.id)
        target = _named(feed, rows, name)
        await session.delete(target)
        await session.flush()
        await renumber(session, [row for row in rows if row is not target])
        await work.record(feed.id, EventKind.UPSTREAM_REMOVE, detail={"upstream": target.name})


async def move_upstream(
    ctx: Context, principal: Principal, ref: FeedRef, name: str, position: int
) -> list[UpstreamStatus]:
    """Move an upstream source to ``position`` (1-based) in the list; the new list."""
    feed = await _owned(ctx, principal, ref)
    async with unit_of_work(ctx, Actor.of(principal)) as work:
        session = work.session
        await lock_graph(session, feed.id)
        rows = await upstream_rows(session, feed.id)
        target = _named(feed, rows, name)
        if not 1 <= position <= len(rows):
            raise Invalid(
                f"Position must be between 1 and {len(rows)}: "
                f"feed {feed.ref} has {_count(len(rows))}."
            )
        rest = [row for row in rows if row is not target]
        rest.insert(position - 1, target)
        await renumber(session, rest)
        result = await statuses_of(session, rest, ctx.settings.pypi_url)
        await work.record(
            feed.id,
            EventKind.UPSTREAM_MOVE,
            detail={"upstream": target.name, "position": position},
        )
    return result


async def create_feed_with_upstreams(
    ctx: Context,
    principal: Principal,
    ref: FeedRef,
    *,
    upstreams: Sequence[UpstreamSpec],
    description: str | None = None,
    visibility: Visibility = Visibility.PRIVATE,
    readers_can_save: bool = False,
) -> FeedDetails:
    """Create a feed with its upstream sources in one transaction (organization owners).

    Every source is checked before anything is created; a new feed cannot be
    part of a cycle (nothing points to it yet).
    """
    resolved = [await resolve_spec(ctx, principal, spec) for spec in upstreams]
    check_new(None, [], resolved, label=str(ref))

    async def add_rows(session: AsyncSession, feed: Feed) -> None:
        for position, item in enumerate(resolved):
            session.add(new_row(feed.id, position, item))
        await session.flush()

    return await create_feed(
        ctx,
        principal,
        ref,
        description=description,
        visibility=visibility,
        readers_can_save=readers_can_save,
        also=add_rows if resolved else None,
    )


# --- package upstream behaviour ------------------------------------------------------------------


async def get_package_upstreaming(
    ctx: Context, principal: Principal, ref: FeedRef, package_name: str
) -> PackageUpstreaming:
    """A package's upstream behaviour (readers)."""
    feed = await authorize(ctx, principal, ref, Role.READER)
    async with ctx.sessions() as session:
        package = await _package(session, feed, package_name)
        return PackageUpstreaming(package.name, package.normalized_name, package.upstream_behavior)


async def set_package_upstreaming(
    ctx: Context, principal: Principal, ref: FeedRef, package_name: str, behavior: str
) -> PackageUpstreaming:
    """Set a package's upstream behaviour (feed owners).

    ``default``: once a version is published here, upstream versions of the name
    are hidden; ``allow-external-versions``: they are shown as well.
    """
    behavior = behavior.strip().lower()
    if behavior not in BEHAVIORS:
        raise Invalid(f"Unknown upstream behaviour {behavior!r}: use {' or '.join(BEHAVIORS)}.")
    feed = await _owned(ctx, principal, ref)
    async with unit_of_work(ctx, Actor.of(principal)) as work:
        package = await _package(work.session, feed, package_name)
        if package.upstream_behavior != behavior:
            package.upstream_behavior = behavior
            await work.record(
                feed.id,
                EventKind.UPSTREAMING_SET,
                package=package.name,
                detail={"behavior": behavior},
            )
    return PackageUpstreaming(package.name, package.normalized_name, behavior)


async def _package(session: AsyncSession, feed: FeedInfo, package_name: str) -> Package:
    normalized = canonicalize_name(package_name.strip())
    package = await session.scalar(
        select(Package).where(Package.feed_id == feed.id, Package.normalized_name == normalized)
    )
    if package is None:
        raise NotFound(f"Package {package_name} is not in feed {feed.ref}.")
    return package


# --- helpers -------------------------------------------------------------------------------------


async def _owned(ctx: Context, principal: Principal, ref: FeedRef) -> FeedInfo:
    feed = await authorize(ctx, principal, ref, Role.OWNER)
    principal.require_scope(Scope.MANAGE)
    return feed


def _named(feed: FeedInfo, rows: Sequence[Upstream], name: str) -> Upstream:
    key = name.strip().casefold()
    for row in rows:
        if row.name.casefold() == key:
            return row
    raise NotFound(f"Feed {feed.ref} has no upstream source named {name}.")


def _count(n: int) -> str:
    return f"{n} upstream source" + ("" if n == 1 else "s")


__all__ = [
    "BEHAVIORS",
    "PackageUpstreaming",
    "UpstreamCache",
    "UpstreamClient",
    "UpstreamSpec",
    "UpstreamStatus",
    "add_upstream",
    "create_feed_with_upstreams",
    "get_package_upstreaming",
    "list_upstreams",
    "merged_package",
    "move_upstream",
    "open_remote",
    "refused",
    "remote_metadata",
    "remove_upstream",
    "require_save_right",
    "set_package_upstreaming",
    "stream_and_save",
]
