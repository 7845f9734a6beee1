"""Applying a feed's retention policy: a dry run, a run on demand, the scheduled run.

The rules are ``quiver.domain.retention``. Versions already in the recycle bin
are not looked at (nor counted toward "at most N"). A run decides per package
again inside that package's transaction, with its versions locked, so two runs
at once (on demand and scheduled) delete each version once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from quiver.db.base import utcnow
from quiver.domain.retention import Decision, Policy, VersionFacts, decide
from quiver.domain.roles import Role
from quiver.services.access import authorize, feed_info
from quiver.services.changes.record import SERVER, Actor
from quiver.services.context import Context
from quiver.services.feeds.models import Feed
from quiver.services.index.downloads import flush_downloads
from quiver.services.orgs.models import Organization, Project
from quiver.services.packages.models import File, Package, Version
from quiver.services.records import FeedInfo, FeedRef, Principal
from quiver.services.recycle.versions import trash_version
from quiver.services.retention.policy import policy_of, the_feed
from quiver.services.views.promoted import views_of_versions

log = logging.getLogger("quiver.retention")


@dataclass(frozen=True)
class Outcome:
    """One version and what the policy does with it."""

    name: str
    version: str
    reason: str


@dataclass(frozen=True)
class RetentionReport:
    """What a run deleted (or a dry run would delete), and what stays, with reasons."""

    feed: str
    policy: Policy
    dry_run: bool
    going: tuple[Outcome, ...]
    kept: tuple[Outcome, ...]


@dataclass
class _Package:
    id: int
    name: str
    normalized: str
    version_ids: dict[str, int] = field(default_factory=dict)
    facts: list[VersionFacts] = field(default_factory=list)


async def preview(ctx: Context, principal: Principal, ref: FeedRef) -> RetentionReport:
    """What the policy would delete now and why, and what it keeps (owners). Changes nothing."""
    return await _owned_run(ctx, principal, ref, dry_run=True)


async def run(ctx: Context, principal: Principal, ref: FeedRef) -> RetentionReport:
    """Apply the policy now (owners): the versions it selects go to the recycle bin."""
    return await _owned_run(ctx, principal, ref, dry_run=False)


async def _owned_run(
    ctx: Context, principal: Principal, ref: FeedRef, *, dry_run: bool
) -> RetentionReport:
    feed = await authorize(ctx, principal, the_feed(ref), Role.OWNER)
    await flush_downloads(ctx.sessions, ctx.downloads)
    policy = await policy_of(ctx, feed)
    return await apply_policy(ctx, feed, policy, Actor.of(principal), dry_run=dry_run)


async def apply_policy(
    ctx: Context,
    feed: FeedInfo,
    policy: Policy,
    actor: Actor,
    *,
    dry_run: bool,
    now: datetime | None = None,
) -> RetentionReport:
    """Decide for every package of ``feed``; unless ``dry_run``, move the chosen to the bin."""
    now = now or utcnow()
    async with ctx.sessions() as session:
        packages = await _load(session, feed)
    going: list[Outcome] = []
    kept: list[Outcome] = []
    deleted = 0
    for package in packages:
        decisions = decide(policy, package.facts, now)
        if not dry_run and any(d.goes for d in decisions):
            decisions = await _trash(ctx, feed, policy, package, actor, now)
            deleted += sum(d.goes for d in decisions)
        for decision in decisions:
            outcome = Outcome(package.name, decision.version, decision.reason)
            (going if decision.goes else kept).append(outcome)
    if deleted:
        ctx.access.invalidate()
    return RetentionReport(feed.ref, policy, dry_run, tuple(going), tuple(kept))


async def _trash(
    ctx: Context, feed: FeedInfo, policy: Policy, package: _Package, actor: Actor, now: datetime
) -> list[Decision]:
    """Decide again for one package with its versions locked, and trash what goes."""
    async with ctx.sessions() as session, session.begin():
        await session.execute(
            select(Version.id).where(Version.package_id == package.id).with_for_update()
        )
        found = await _load(session, feed, package.id)
        if not found:
            return []
        current = found[0]
        decisions = decide(policy, current.facts, now)
        row = await session.get(Package, package.id)
        assert row is not None
        for decision in decisions:
            if not decision.goes:
                continue
            version = await session.get(Version, current.version_ids[decision.version])
            assert version is not None
            reason = f"Retention policy: {decision.reason}"
            await trash_version(session, feed, row, version, actor, reason=reason)
    return decisions


async def _load(
    session: AsyncSession, feed: FeedInfo, package_id: int | None = None
) -> list[_Package]:
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
    packages: dict[int, _Package] = {}
    for pid, name, normalized, vid, text, created, downloaded in rows:
        package = packages.setdefault(pid, _Package(pid, name, normalized))
        package.version_ids[text] = vid
        package.facts.append(VersionFacts(text, created, downloaded, tuple(views.get(vid, ()))))
    return sorted(packages.values(), key=lambda p: p.normalized)


async def run_all(ctx: Context, now: datetime | None = None) -> int:
    """Apply every feed's policy (feeds not in the bin); the number of versions deleted.

    For the schedule: the server is the actor. A feed that fails is logged and
    the others still run.
    """
    await flush_downloads(ctx.sessions, ctx.downloads)
    deleted = 0
    for feed, policy in await _feeds_with_policies(ctx):
        try:
            report = await apply_policy(ctx, feed, policy, SERVER, dry_run=False, now=now)
        except Exception:
            log.exception("retention failed on feed %s", feed.ref)
            continue
        deleted += len(report.going)
        if report.going:
            log.info("retention deleted %d versions from %s", len(report.going), feed.ref)
    return deleted


async def _feeds_with_policies(ctx: Context) -> Sequence[tuple[FeedInfo, Policy]]:
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
    async with ctx.sessions() as session:
        rows = (await session.execute(query)).all()
    return [
        (
            feed_info(feed, org, project),
            Policy(feed.retention_max_versions, feed.retention_days),
        )
        for feed, org, project in rows
    ]


__all__ = ["Outcome", "RetentionReport", "apply_policy", "preview", "run", "run_all"]
