"""Reading and setting a feed's retention policy (``feeds.retention_*``)."""

from __future__ import annotations

import enum
from dataclasses import asdict

from sqlalchemy import select

from quiver.domain.errors import Invalid
from quiver.domain.events import EventKind
from quiver.domain.retention import Policy, check_policy
from quiver.domain.roles import Role
from quiver.services.access import authorize
from quiver.services.changes.record import Actor, record_event
from quiver.services.context import Context
from quiver.services.feeds.models import Feed
from quiver.services.records import FeedInfo, FeedRef, Principal


class Unchanged(enum.Enum):
    """A condition ``set_policy`` leaves as it is."""

    UNCHANGED = "unchanged"


UNCHANGED = Unchanged.UNCHANGED


def the_feed(ref: FeedRef) -> FeedRef:
    """``ref`` without a view: policies belong to feeds."""
    if ref.view is not None:
        raise Invalid(f"Name the feed without '@{ref.view}': retention applies to whole feeds.")
    return ref


async def get_policy(ctx: Context, principal: Principal, ref: FeedRef) -> Policy:
    """The feed's retention policy (readers)."""
    feed = await authorize(ctx, principal, the_feed(ref), Role.READER)
    return await policy_of(ctx, feed)


async def policy_of(ctx: Context, feed: FeedInfo) -> Policy:
    async with ctx.sessions() as session:
        row = (
            await session.execute(
                select(Feed.retention_max_versions, Feed.retention_days).where(Feed.id == feed.id)
            )
        ).one()
    return Policy(max_versions=row[0], days=row[1])


async def set_policy(
    ctx: Context,
    principal: Principal,
    ref: FeedRef,
    *,
    max_versions: int | Unchanged | None = UNCHANGED,
    days: int | Unchanged | None = UNCHANGED,
) -> Policy:
    """Change the feed's policy (owners): a number sets a condition, None clears it.

    400 for a number out of range (at least 1). A change is recorded in the audit
    log with the policy before and after; setting what is there changes nothing.
    """
    feed = await authorize(ctx, principal, the_feed(ref), Role.OWNER)
    async with ctx.sessions() as session, session.begin():
        row = await session.get(Feed, feed.id, with_for_update=True)
        assert row is not None
        before = Policy(row.retention_max_versions, row.retention_days)
        after = Policy(
            before.max_versions if isinstance(max_versions, Unchanged) else max_versions,
            before.days if isinstance(days, Unchanged) else days,
        )
        try:
            check_policy(after)
        except Invalid as err:
            raise Invalid(str(err)) from None
        if after == before:
            return after
        row.retention_max_versions = after.max_versions
        row.retention_days = after.days
        await record_event(
            session,
            feed.id,
            Actor.of(principal),
            EventKind.RETENTION_SET,
            detail={"before": asdict(before), "after": asdict(after)},
        )
    ctx.access.invalidate()
    return after


__all__ = ["UNCHANGED", "Unchanged", "get_policy", "policy_of", "set_policy", "the_feed"]
