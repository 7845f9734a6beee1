"""A feed's retention policy: reading it, setting it, and applying it.

The rules are ``quiver.domain.retention``. Applying comes as a dry run, a run on
demand and the scheduled run. Versions already in the recycle bin are not looked
at (nor counted toward "at most N"). A run decides per package again inside that
package's unit of work, with its versions locked, so two runs at once (on demand
and scheduled) delete each version once.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import datetime

from sqlalchemy import select

from quiver.db.base import utcnow
from quiver.domain.errors import Invalid
from quiver.domain.events import EventKind
from quiver.domain.retention import Decision, Policy, check_policy, decide
from quiver.domain.roles import Role
from quiver.services.access import authorize
from quiver.services.changes.records import SERVER, Actor
from quiver.services.context import Context
from quiver.services.feeds.models import Feed
from quiver.services.index.service import flush_downloads
from quiver.services.packages.models import Package, Version
from quiver.services.records import FeedInfo, FeedRef, Principal
from quiver.services.recycle.service import trash_version
from quiver.services.retention.queries import (
    PackageFacts,
    feeds_with_policies,
    package_facts,
    policy_of,
)
from quiver.services.retention.records import Outcome, RetentionReport, Unchanged
from quiver.services.unitofwork import unit_of_work

log = logging.getLogger("quiver.retention")


def the_feed(ref: FeedRef) -> FeedRef:
    """``ref`` without a view: policies belong to feeds."""
    if ref.view is not None:
        raise Invalid(f"Name the feed without '@{ref.view}': retention applies to whole feeds.")
    return ref


async def get_policy(ctx: Context, principal: Principal, ref: FeedRef) -> Policy:
    """The feed's retention policy (readers)."""
    feed = await authorize(ctx, principal, the_feed(ref), Role.READER)
    async with ctx.sessions() as session:
        return await policy_of(session, feed.id)


async def set_policy(
    ctx: Context,
    principal: Principal,
    ref: FeedRef,
    *,
    max_versions: int | Unchanged | None = Unchanged.UNCHANGED,
    days: int | Unchanged | None = Unchanged.UNCHANGED,
) -> Policy:
    """Change the feed's policy (owners): a number sets a condition, None clears it.

    ``Invalid`` for a number out of range (at least 1). A change is recorded in the
    audit log with the policy before and after; setting what is there changes nothing.
    """
    feed = await authorize(ctx, principal, the_feed(ref), Role.OWNER)
    async with unit_of_work(ctx, Actor.of(principal)) as work:
        row = await work.session.get(Feed, feed.id, with_for_update=True)
        assert row is not None
        before = Policy(row.retention_max_versions, row.retention_days)
        after = Policy(
            before.max_versions if isinstance(max_versions, Unchanged) else max_versions,
            before.days if isinstance(days, Unchanged) else days,
        )
        check_policy(after)
        if after == before:
            return after
        row.retention_max_versions = after.max_versions
        row.retention_days = after.days
        detail = {"before": asdict(before), "after": asdict(after)}
        await work.record(feed.id, EventKind.RETENTION_SET, detail=detail)
    return after


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
    async with ctx.sessions() as session:
        policy = await policy_of(session, feed.id)
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
        packages = await package_facts(session, feed)
    going: list[Outcome] = []
    kept: list[Outcome] = []
    for package in packages:
        decisions = decide(policy, package.facts, now)
        if not dry_run and any(d.goes for d in decisions):
            decisions = await _trash(ctx, feed, policy, package, actor, now)
        for decision in decisions:
            outcome = Outcome(package.name, decision.version, decision.reason)
            (going if decision.goes else kept).append(outcome)
    return RetentionReport(feed.ref, policy, dry_run, tuple(going), tuple(kept))


async def _trash(
    ctx: Context,
    feed: FeedInfo,
    policy: Policy,
    package: PackageFacts,
    actor: Actor,
    now: datetime,
) -> list[Decision]:
    """Decide again for one package with its versions locked, and trash what goes."""
    async with unit_of_work(ctx, actor) as work:
        session = work.session
        await session.execute(
            select(Version.id).where(Version.package_id == package.id).with_for_update()
        )
        found = await package_facts(session, feed, package.id)
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
            await trash_version(session, feed, row, version, work.actor, reason=reason)
    return decisions


async def run_all(ctx: Context, now: datetime | None = None) -> int:
    """Apply every feed's policy (feeds not in the bin); the number of versions deleted.

    For the schedule: the server is the actor. A feed that fails is logged and
    the others still run.
    """
    await flush_downloads(ctx.sessions, ctx.downloads)
    async with ctx.sessions() as session:
        policies = await feeds_with_policies(session)
    deleted = 0
    for feed, policy in policies:
        try:
            report = await apply_policy(ctx, feed, policy, SERVER, dry_run=False, now=now)
        except Exception:
            log.exception("retention failed on feed %s", feed.ref)
            continue
        deleted += len(report.going)
        if report.going:
            log.info("retention deleted %d versions from %s", len(report.going), feed.ref)
    return deleted


__all__ = ["apply_policy", "get_policy", "preview", "run", "run_all", "set_policy", "the_feed"]
