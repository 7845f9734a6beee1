"""Use cases for feed permissions: give, list and take away users' roles on a feed.

Only feed owners manage them; every change is recorded in the feed's change feed.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from quiver.domain.errors import NotFound
from quiver.domain.events import EventKind
from quiver.domain.roles import Role, Scope
from quiver.services.access import authorize
from quiver.services.changes.record import Actor
from quiver.services.context import Context
from quiver.services.permissions.models import FeedRole
from quiver.services.permissions.records import PermissionInfo
from quiver.services.records import FeedRef, Principal
from quiver.services.unitofwork import unit_of_work
from quiver.services.users.models import User
from quiver.services.users.service import get_user


async def set_permission(
    ctx: Context, principal: Principal, ref: FeedRef, username: str, role: Role
) -> PermissionInfo:
    """Give ``username`` ``role`` on the feed, replacing any role they had (owners)."""
    info = await authorize(ctx, principal, ref, Role.OWNER)
    principal.require_scope(Scope.MANAGE)
    async with unit_of_work(ctx, Actor.of(principal)) as work:
        user = await get_user(work.session, username)
        current = await work.session.get(FeedRole, (info.id, user.id))
        if current is None:
            work.session.add(FeedRole(feed_id=info.id, user_id=user.id, role=int(role)))
        else:
            current.role = int(role)
        await work.record(
            info.id, EventKind.PERMISSION_SET, detail={"user": user.username, "role": role.label}
        )
        return PermissionInfo(username=user.username, role=role)


async def list_permissions(
    ctx: Context, principal: Principal, ref: FeedRef
) -> list[PermissionInfo]:
    """The explicit roles on the feed, by user name (owners)."""
    info = await authorize(ctx, principal, ref, Role.OWNER)
    async with ctx.sessions() as session:
        rows = await session.execute(
            select(User.username, FeedRole.role)
            .join(FeedRole, FeedRole.user_id == User.id)
            .where(FeedRole.feed_id == info.id)
            .order_by(User.username_key)
        )
        return [PermissionInfo(username=username, role=Role(role)) for username, role in rows]


async def remove_permission(
    ctx: Context, principal: Principal, ref: FeedRef, username: str
) -> None:
    """Take ``username``'s explicit role on the feed away (owners); NotFound if none."""
    info = await authorize(ctx, principal, ref, Role.OWNER)
    principal.require_scope(Scope.MANAGE)
    async with unit_of_work(ctx, Actor.of(principal)) as work:
        user = await get_user(work.session, username)
        result = await work.session.execute(
            delete(FeedRole).where(FeedRole.feed_id == info.id, FeedRole.user_id == user.id)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            raise NotFound(f"{user.username} has no role on feed {ref}.")
        await work.record(info.id, EventKind.PERMISSION_REMOVE, detail={"user": user.username})
