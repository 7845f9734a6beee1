"""Yank and un-yank a version (PEP 592), by contributors.

A yanked version stays in the feed and in every index page, marked yanked with
its reason: installers skip it unless a requirement pins it exactly
(``==`` or ``===``). Yanking applies to the whole version, every file of it, as
PEP 592 recommends. Both operations are idempotent: yanking a yanked version
replaces its reason, un-yanking a version that is not yanked changes nothing.
Any change bumps the feed's serial, so cached index pages are rebuilt at once.
"""

from __future__ import annotations

from quiver.domain.events import EventKind
from quiver.domain.roles import Role
from quiver.domain.versions import clean_reason
from quiver.services.access import authorize
from quiver.services.changes.record import Actor
from quiver.services.context import Context
from quiver.services.packages.records import YankState
from quiver.services.records import FeedRef, Principal
from quiver.services.recycle.service import live_version
from quiver.services.unitofwork import unit_of_work


async def yank(
    ctx: Context,
    principal: Principal,
    ref: FeedRef,
    package_name: str,
    version: str,
    reason: str | None = None,
) -> YankState:
    """Mark every file of ``version`` yanked, with ``reason`` (contributors).

    An empty or blank reason means none. Yanking a yanked version replaces its
    reason. Invalid for a reason over ``MAX_REASON`` characters; NotFound for an
    unknown package or version; VersionInBin for a version in the recycle bin.
    """
    text = clean_reason(reason)
    return await _set(ctx, principal, ref, package_name, version, yanked=True, reason=text)


async def unyank(
    ctx: Context, principal: Principal, ref: FeedRef, package_name: str, version: str
) -> YankState:
    """Make ``version`` installable again (contributors); a no-op if it is not yanked."""
    return await _set(ctx, principal, ref, package_name, version, yanked=False, reason=None)


async def _set(
    ctx: Context,
    principal: Principal,
    ref: FeedRef,
    package_name: str,
    version: str,
    *,
    yanked: bool,
    reason: str | None,
) -> YankState:
    feed = await authorize(ctx, principal, ref, Role.CONTRIBUTOR)
    async with unit_of_work(ctx, Actor.of(principal)) as work:
        package, row = await live_version(work.session, feed, package_name, version)
        changed = row.yanked != yanked or row.yanked_reason != reason
        if changed:
            row.yanked = yanked
            row.yanked_reason = reason
            await work.record(
                feed.id,
                EventKind.YANK if yanked else EventKind.UNYANK,
                package=package.name,
                version=row.version,
                detail={"reason": reason} if reason else None,
            )
        return YankState(
            feed=feed.ref,
            name=package.name,
            version=row.version,
            yanked=row.yanked,
            yanked_reason=row.yanked_reason,
            changed=changed,
        )


__all__ = ["unyank", "yank"]
