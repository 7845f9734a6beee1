"""Use cases for feed permissions: give, list and take away users' roles on a feed.

Only feed owners manage them; every change is recorded in the feed's change feed.

A feed keeps at least one owner: taking the owner role from its last owner (lowering
it or removing it) is a Conflict, whoever asks, administrators included (they can
make someone else owner first). An owner is a user with the owner role on the feed
who is not disabled. Administrators do not count, and neither do the organization's
owners: their role in the organization gives them no role on its feeds
(``quiver.domain.roles.effective_role``).
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from quiver.domain.errors import Conflict, NotFound
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
    """Give ``username`` ``role`` on the feed, replacing any role they had (owners).

    Conflict when that lowers the feed's last owner (see the module docs).
    """
    info = await authorize(ctx, principal, ref, Role.OWNER)
    principal.require_scope(Scope.MANAGE)
    async with unit_of_work(ctx, Actor.of(principal)) as work:
        user = await get_user(work.session, username)
        current = await work.session.get(FeedRole, (info.id, user.id))
        if current is not None and current.role >= Role.OWNER and role < Role.OWNER:
            await _keep_an_owner(work.session, info.id, user.id)
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
    """Take ``username``'s explicit role on the feed away (owners); NotFound if none.

    Conflict when they are the feed's last owner (see the module docs).
    """
    info = await authorize(ctx, principal, ref, Role.OWNER)
    principal.require_scope(Scope.MANAGE)
    async with unit_of_work(ctx, Actor.of(principal)) as work:
        user = await get_user(work.session, username)
        current = await work.session.get(FeedRole, (info.id, user.id))
        if current is not None and current.role >= Role.OWNER:
            await _keep_an_owner(work.session, info.id, user.id)
        result = await work.session.execute(
            delete(FeedRole).where(FeedRole.feed_id == info.id, FeedRole.user_id == user.id)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            raise NotFound(f"{user.username} has no role on feed {ref}.")
        await work.record(info.id, EventKind.PERMISSION_REMOVE, detail={"user": user.username})


LAST_OWNER = "A feed needs at least one owner: make someone else owner first."


async def _keep_an_owner(session: AsyncSession, feed_id: int, losing: int) -> None:
    """Conflict unless a user other than ``losing`` owns the feed and is not disabled.

    The feed's owner rows are locked (PostgreSQL) so two owners taking each other's
    role at once cannot both pass; SQLite serializes writers.
    """
    owners = await session.scalars(
        select(FeedRole.user_id)
        .where(FeedRole.feed_id == feed_id, FeedRole.role >= int(Role.OWNER))
        .with_for_update()
    )
    others = [user_id for user_id in owners if user_id != losing]
    if others:
        active = await session.scalar(
            select(User.id).where(User.id.in_(others), User.disabled_at.is_(None)).limit(1)
        )
        if active is not None:
            return
    raise Conflict(LAST_OWNER)
