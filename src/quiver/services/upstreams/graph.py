"""Changing upstream lists: the rows, their checks, and the graph-wide lock.

Every change takes ``lock_graph`` first (it also bumps the feed's serial), so
changes to upstream lists are serialised and ``refuse_cycle`` sees every
committed edge: two concurrent additions cannot make a cycle between them.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from quiver.domain.errors import Conflict, Invalid
from quiver.services.feeds.service import bump_serial
from quiver.services.records import KIND_INDEX, FeedInfo
from quiver.services.upstreams.models import KIND_FEED, Upstream, view_key
from quiver.services.upstreams.queries import feed_refs
from quiver.services.upstreams.specs import ResolvedUpstream

MAX_UPSTREAMS = 20
# Serialises changes to upstream lists on PostgreSQL (SQLite serialises writers).
GRAPH_LOCK = 727270004


async def lock_graph(session: AsyncSession, feed_id: int) -> None:
    """Serialise upstream changes: a cycle check must see every committed edge.

    The first statement writes (the serial), so SQLite takes its write lock now.
    """
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(GRAPH_LOCK)))
    await bump_serial(session, feed_id)


async def upstream_rows(session: AsyncSession, feed_id: int) -> list[Upstream]:
    """The feed's upstream rows in order."""
    query = select(Upstream).where(Upstream.feed_id == feed_id).order_by(Upstream.position)
    return list((await session.scalars(query)).all())


def check_new(
    feed: FeedInfo | None,
    rows: Sequence[Upstream],
    new: Sequence[ResolvedUpstream],
    *,
    label: str | None = None,
) -> None:
    """Names unique (case-insensitively), sources not repeated, at most 20 in all."""
    where = feed.ref if feed is not None else str(label)
    names = {row.name.casefold(): row.name for row in rows}
    identities = {_identity(row): row.name for row in rows}
    for item in new:
        if item.name.casefold() in names:
            raise Conflict(f"Feed {where} already has an upstream source named {item.name}.")
        if item.identity in identities:
            raise Conflict(
                f"Feed {where} already has this upstream source, as {identities[item.identity]}."
            )
        names[item.name.casefold()] = item.name
        identities[item.identity] = item.name
    if len(rows) + len(new) > MAX_UPSTREAMS:
        raise Invalid(
            f"A feed has at most {MAX_UPSTREAMS} upstream sources"
            + (f"; {where} has {len(rows)} already." if rows else ".")
        )


def _identity(row: Upstream) -> tuple[str, str | int | None, str | None]:
    if row.kind == KIND_INDEX:
        return (KIND_INDEX, row.url, None)
    return (KIND_FEED, row.source_feed_id, row.source_view)


def new_row(feed_id: int, position: int, item: ResolvedUpstream) -> Upstream:
    """The row for a resolved source at ``position`` (0-based) of the feed's list."""
    return Upstream(
        feed_id=feed_id,
        position=position,
        name=item.name,
        kind=item.kind,
        url=item.url,
        username=item.username,
        secret=item.secret,
        source_feed_id=item.source.id if item.source is not None else None,
        source_view=item.source_view,
        source_view_key=view_key(item.source_view),
    )


async def renumber(session: AsyncSession, rows: Sequence[Upstream]) -> None:
    """Positions 0..n-1 in the given order, in two steps so (feed, position) stays unique."""
    for index, row in enumerate(rows):
        row.position = -1 - index
    await session.flush()
    for index, row in enumerate(rows):
        row.position = index
    await session.flush()


async def refuse_cycle(session: AsyncSession, feed: FeedInfo, source: FeedInfo) -> None:
    """Invalid when ``feed`` is reachable from ``source`` through feed-kind upstreams."""
    path = _path(await _feed_edges(session), source.id, feed.id)
    if path is None:
        return
    names = await feed_refs(session, path)
    chain = " → ".join([feed.ref, *(names.get(i, f"feed #{i}") for i in path)])
    raise Invalid(
        f"Feed {source.ref} cannot be an upstream source of {feed.ref}: "
        f"it would make a cycle: {chain}."
    )


async def _feed_edges(session: AsyncSession) -> dict[int, list[int]]:
    """Downstream feed id → its source feed ids, for every feed-kind upstream."""
    edges: dict[int, list[int]] = {}
    rows = await session.execute(
        select(Upstream.feed_id, Upstream.source_feed_id).where(Upstream.kind == KIND_FEED)
    )
    for downstream, upstream in rows:
        if upstream is not None:
            edges.setdefault(downstream, []).append(upstream)
    return edges


def _path(edges: dict[int, list[int]], start: int, goal: int) -> list[int] | None:
    """A shortest path ``start ... goal`` through ``edges`` (breadth-first), if any."""
    # ``came_from`` rebuilds the path found.
    came_from: dict[int, int | None] = {start: None}
    queue = [start]
    while queue:
        current = queue.pop(0)
        if current == goal:
            path = [current]
            while (previous := came_from[path[-1]]) is not None:
                path.append(previous)
            path.reverse()  # start ... goal
            return path
        for following in edges.get(current, []):
            if following not in came_from:
                came_from[following] = current
                queue.append(following)
    return None


__all__ = [
    "MAX_UPSTREAMS",
    "check_new",
    "lock_graph",
    "new_row",
    "refuse_cycle",
    "renumber",
    "upstream_rows",
]
