"""Reads of the feeds feature for people: the feeds someone may read, across organizations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from quiver.domain.roles import Role
from quiver.services.access import feed_info, role_on
from quiver.services.context import Context
from quiver.services.feeds.models import Feed
from quiver.services.feeds.records import FeedCard
from quiver.services.orgs.models import Organization, Project
from quiver.services.packages.models import File, Version
from quiver.services.records import Principal

NAME_FILTER_MAX = 64


def like_escaped(text: str) -> str:
    """``text`` with LIKE's wildcards escaped (escape character ``\\``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def readable_feeds(
    ctx: Context, principal: Principal, name_contains: str = ""
) -> list[FeedCard]:
    """Every feed (not in a recycle bin) ``principal`` may read, by organization, project
    and name; ``name_contains`` keeps those whose name contains it (any case).

    Roles come from the access cache (``role_on``), so a warm cache costs two queries.
    """
    query = (
        select(Feed, Organization.name, Project.name)
        .join(Organization, Organization.id == Feed.org_id)
        .outerjoin(Project, Project.id == Feed.project_id)
        .where(Feed.deleted_at.is_(None))
        .order_by(
            Organization.name_key, Project.name_key.is_not(None), Project.name_key, Feed.path_key
        )
    )
    needle = name_contains.strip()[:NAME_FILTER_MAX].lower()
    if needle:
        query = query.where(func.lower(Feed.name).like(f"%{like_escaped(needle)}%", escape="\\"))
    async with ctx.sessions() as session:
        rows = (await session.execute(query)).all()
    readable = []
    for feed, org, project in rows:
        info = feed_info(feed, org, project)
        if await role_on(ctx, principal, info) >= Role.READER:
            readable.append((feed, info))
    counts = await _contents(ctx, [feed.id for feed, _info in readable])
    return [
        FeedCard(
            ref=info.ref,
            org=info.org,
            project=info.project,
            name=feed.name,
            description=feed.description,
            visibility=feed.visibility,
            packages=counts.get(feed.id, (0, None))[0],
            updated_at=counts.get(feed.id, (0, None))[1],
        )
        for feed, info in readable
    ]


async def _contents(ctx: Context, feed_ids: list[int]) -> dict[int, tuple[int, datetime | None]]:
    """Per feed: how many packages have live files, and when the newest file arrived."""
    if not feed_ids:
        return {}
    query = (
        select(
            File.feed_id, func.count(func.distinct(Version.package_id)), func.max(File.uploaded_at)
        )
        .join(Version, Version.id == File.version_id)
        .where(File.feed_id.in_(feed_ids), Version.deleted_at.is_(None))
        .group_by(File.feed_id)
    )
    async with ctx.sessions() as session:
        rows = (await session.execute(query)).all()
    return {feed_id: (int(count), newest) for feed_id, count, newest in rows}


__all__ = ["like_escaped", "readable_feeds"]
