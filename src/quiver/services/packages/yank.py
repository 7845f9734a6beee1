"""Yank and un-yank a version (PEP 592), by contributors.

A yanked version stays in the feed and in every index page, marked yanked with
its reason: installers skip it unless a requirement pins it exactly
(``==`` or ``===``). Yanking applies to the whole version, every file of it, as
PEP 592 recommends. Both operations are idempotent: yanking a yanked version
replaces its reason, un-yanking a version that is not yanked changes nothing.
Any change bumps the feed's serial, so cached index pages are rebuilt at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from quiver.domain.errors import Invalid
from quiver.domain.events import EventKind
from quiver.domain.roles import Role
from quiver.services.access import authorize
from quiver.services.changes.record import Actor, record_event
from quiver.services.context import Context
from quiver.services.records import FeedRef, Principal
from quiver.services.recycle.queries import live_version

#: The longest reason kept (the column's size).
MAX_REASON = 512


@dataclass(frozen=True)
class YankState:
    """A version after a yank or un-yank, and whether the call changed anything."""

    feed: str
    name: str
    version: str
    yanked: bool
    yanked_reason: str | None
    changed: bool


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
    reason. 400 for a reason over 512 characters; 404 for an unknown package or
    version.
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
    async with ctx.sessions() as session, session.begin():
        package, row = await live_version(session, feed, package_name, version)
        changed = row.yanked != yanked or row.yanked_reason != reason
        if changed:
            row.yanked = yanked
            row.yanked_reason = reason
            await record_event(
                session,
                feed.id,
                Actor.of(principal),
                EventKind.YANK if yanked else EventKind.UNYANK,
                package=package.name,
                version=row.version,
                detail={"reason": reason} if reason else None,
            )
        state = YankState(
            feed=feed.ref,
            name=package.name,
            version=row.version,
            yanked=row.yanked,
            yanked_reason=row.yanked_reason,
            changed=changed,
        )
    if changed:
        ctx.access.invalidate()
    return state


def clean_reason(reason: str | None) -> str | None:
    """``reason`` with its whitespace collapsed (None when blank); 400 when too long."""
    if reason is None:
        return None
    text = " ".join(reason.split())
    if len(text) > MAX_REASON:
        raise Invalid(
            f"The reason is {len(text)} characters long; at most {MAX_REASON} are allowed."
        )
    return text or None


__all__ = ["MAX_REASON", "YankState", "clean_reason", "unyank", "yank"]
