"""The read path's view of a feed's upstream sources.

``feed_upstreams`` gives a feed's sources in order as frozen data, cached in
``ctx.access`` and dropped on every change this process makes. The loaders
here are shared with the management use cases (service.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from quiver.services.context import Context
from quiver.services.feeds.models import Feed
from quiver.services.orgs.models import Organization, Project
from quiver.services.records import UpstreamInfo
from quiver.services.upstreams.models import KIND_FEED, PYPI_ALIAS, Upstream
from quiver.services.upstreams.records import (
    HEALTH_ERROR,
    HEALTH_LOCAL,
    HEALTH_OK,
    HEALTH_UNCHECKED,
    UpstreamHealth,
    UpstreamStatus,
)


async def feed_upstreams(ctx: Context, feed_id: int) -> list[UpstreamInfo]:
    """The upstream sources of a feed in order (cached; one query on a miss).

    For the read path: no authorisation here, the caller has checked its own.
    """
    cached = ctx.access.upstreams.get(feed_id)
    if cached is None:
        generation = ctx.access.upstreams.generation
        async with ctx.sessions() as session:
            cached = await load_upstreams(session, feed_id, ctx.settings.pypi_url)
        ctx.access.upstreams.put(feed_id, cached, generation)
    return list(cached)


async def load_upstreams(
    session: AsyncSession, feed_id: int, pypi_url: str
) -> tuple[UpstreamInfo, ...]:
    """The feed's upstream sources in order, straight from the database (``pypi`` resolved)."""
    return tuple(status.info for status in await load_statuses(session, feed_id, pypi_url))


async def load_statuses(session: AsyncSession, feed_id: int, pypi_url: str) -> list[UpstreamStatus]:
    """The feed's upstream sources in order with their health, from the database."""
    rows = (
        await session.scalars(
            select(Upstream).where(Upstream.feed_id == feed_id).order_by(Upstream.position)
        )
    ).all()
    return await statuses_of(session, rows, pypi_url)


async def statuses_of(
    session: AsyncSession, rows: Sequence[Upstream], pypi_url: str
) -> list[UpstreamStatus]:
    """``rows`` (in their order) as sources with their health."""
    sources = [row.source_feed_id for row in rows if row.source_feed_id is not None]
    refs = await feed_refs(session, sources)
    return [UpstreamStatus(upstream_info(row, refs, pypi_url), health_of(row)) for row in rows]


def health_of(row: Upstream) -> UpstreamHealth:
    """The row's health; a feed of this server has none (``local``)."""
    if row.kind == KIND_FEED:
        return UpstreamHealth(HEALTH_LOCAL)
    ok_at, error_at = row.last_ok_at, row.last_error_at
    if ok_at is None and error_at is None:
        state = HEALTH_UNCHECKED
    elif error_at is not None and (ok_at is None or error_at >= ok_at):
        state = HEALTH_ERROR
    else:
        state = HEALTH_OK
    return UpstreamHealth(state, ok_at, error_at, row.last_error)


async def feed_refs(session: AsyncSession, feed_ids: Sequence[int]) -> dict[int, str]:
    """``ORG[/PROJECT]/FEED`` of each feed id that exists."""
    if not feed_ids:
        return {}
    rows = await session.execute(
        select(Feed.id, Organization.name, Project.name, Feed.name)
        .join(Organization, Organization.id == Feed.org_id)
        .outerjoin(Project, Project.id == Feed.project_id)
        .where(Feed.id.in_(set(feed_ids)))
    )
    return {
        feed_id: "/".join(p for p in (org, project, name) if p)
        for feed_id, org, project, name in rows
    }


def upstream_info(row: Upstream, refs: dict[int, str], pypi_url: str) -> UpstreamInfo:
    """A row as frozen data; ``refs`` (from ``feed_refs``) names a source feed.

    A stored ``pypi`` alias becomes ``pypi_url`` (QUIVER_PYPI_URL), and ``follows_pypi`` says so.
    """
    source_ref = None
    if row.source_feed_id is not None:
        base = refs.get(row.source_feed_id, f"feed #{row.source_feed_id}")
        source_ref = f"{base}@{row.source_view}" if row.source_view else base
    return UpstreamInfo(
        id=row.id,
        feed_id=row.feed_id,
        position=row.position,
        name=row.name,
        kind=row.kind,
        url=pypi_url if row.url == PYPI_ALIAS else row.url,
        follows_pypi=row.url == PYPI_ALIAS,
        username=row.username,
        secret=row.secret,
        source_feed_id=row.source_feed_id,
        source_view=row.source_view,
        source_ref=source_ref,
        created_at=row.created_at,
    )


__all__ = [
    "UpstreamInfo",
    "feed_refs",
    "feed_upstreams",
    "health_of",
    "load_statuses",
    "load_upstreams",
    "statuses_of",
    "upstream_info",
]
