"""Reads for retention: a feed's policy, the feeds that have one, and each package's facts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from quiver.domain.retention import Policy, VersionFacts
from quiver.services.access import feed_info
from quiver.services.feeds.models import Feed
from quiver.services.orgs.models import Organization, Project
from quiver.services.packages.models import File, Package, Version
from quiver.services.records import FeedInfo
from quiver.services.views.queries import views_of_versions


@dataclass
class PackageFacts:
    """A package of the feed, and the facts of each of its versions not in the bin."""

    id: int
    name: str
    normalized: str
    version_ids: dict[str, int] = field(default_factory=dict)
    facts: list[VersionFacts] = field(default_factory=list)


async def policy_of(session: AsyncSession, feed_id: int) -> Policy:
    """The feed's retention policy (nulls: no condition)."""
    row = (
        await session.execute(
            select(Feed.retention_max_versions, Feed.retention_days).where(Feed.id == feed_id)
        )
    ).one()
    return Policy(max_versions=row[0], days=row[1])


async def package_facts(
    session: AsyncSession, feed: FeedInfo, package_id: int | None = None
) -> list[PackageFacts]:
    """The feed's packages (or one) with the facts of each version not in the bin."""
    query = (
        select(
            Package.id,
            Package.name,
            Package.normalized_name,
            Version.id,
            Version.version,
            Version.created_at,
            func.max(File.last_download_at),
        )
        .join(Version, Version.package_id == Package.id)
        .join(File, File.version_id == Version.id)
        .where(
            Package.feed_id == feed.id,
            File.feed_id == feed.id,
            Version.deleted_at.is_(None),
        )
        .group_by(
            Package.id,
            Package.name,
            Package.normalized_name,
            Version.id,
            Version.version,
            Version.created_at,
        )
    )
    if package_id is not None:
        query = query.where(Package.id == package_id)
    rows = (await session.execute(query)).all()
    views = await views_of_versions(session, [row[3] for row in rows])
    packages: dict[int, PackageFacts] = {}
    for pid, name, normalized, vid, text, created, downloaded in rows:
        package = packages.setdefault(pid, PackageFacts(pid, name, normalized))
        package.version_ids[text] = vid
        package.facts.append(VersionFacts(text, created, downloaded, tuple(views.get(vid, ()))))
    return sorted(packages.values(), key=lambda p: p.normalized)


async def feeds_with_policies(session: AsyncSession) -> Sequence[tuple[FeedInfo, Policy]]:
    """Every feed not in the bin that has a policy, with it, in id order."""
    query = (
        select(Feed, Organization.name, Project.name)
        .join(Organization, Organization.id == Feed.org_id)
        .outerjoin(Project, Project.id == Feed.project_id)
        .where(
            Feed.deleted_at.is_(None),
            or_(Feed.retention_max_versions.is_not(None), Feed.retention_days.is_not(None)),
        )
        .order_by(Feed.id)
    )
    rows = (await session.execute(query)).all()
    return [
        (
            feed_info(feed, org, project),
            Policy(feed.retention_max_versions, feed.retention_days),
        )
        for feed, org, project in rows
    ]


__all__ = ["PackageFacts", "feeds_with_policies", "package_facts", "policy_of"]
