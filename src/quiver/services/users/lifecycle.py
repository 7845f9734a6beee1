"""A user's lifecycle after creation: disabled, enabled again, deleted.

These run inside the caller's unit of work (``service`` opens it), whose
invalidation then drops every cached principal, so a disabled or deleted user's
tokens are refused on their next request in every process
(``quiver.services.access`` checks ``disabled_at`` when it loads a token).
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from quiver.db.base import utcnow
from quiver.domain.errors import Conflict
from quiver.domain.events import EventKind
from quiver.services.login.models import WebSession
from quiver.services.permissions.models import FeedRole
from quiver.services.records import Principal
from quiver.services.unitofwork import Work
from quiver.services.users.models import User


async def disable_row(session: AsyncSession, principal: Principal, user: User) -> None:
    """Mark ``user`` disabled (the first time is kept) and end their web sessions."""
    await _refuse_losing(session, principal, user, "disable")
    if user.disabled_at is None:
        user.disabled_at = utcnow()
    await session.execute(delete(WebSession).where(WebSession.user_id == user.id))


def enable_row(user: User) -> None:
    """Let ``user`` in again: their tokens that are still valid work at once."""
    user.disabled_at = None


async def remove_row(work: Work, principal: Principal, user: User) -> None:
    """Delete ``user``; their feed roles' removal is recorded in each feed's audit log.

    The database deletes what hangs on the row (tokens, web sessions, device
    logins, memberships, roles: ON DELETE CASCADE; SQLite enforces it through
    ``PRAGMA foreign_keys``) and forgets the user in history rows that keep the
    name as text (``feed_events.actor``, ``deleted_by``; ``files.uploaded_by``
    falls back to the publish event's actor).
    """
    await _refuse_losing(work.session, principal, user, "delete")
    feeds = await work.session.scalars(
        select(FeedRole.feed_id).where(FeedRole.user_id == user.id).order_by(FeedRole.feed_id)
    )
    for feed_id in list(feeds):
        await work.record(feed_id, EventKind.PERMISSION_REMOVE, detail={"user": user.username})
    # A statement, not ``session.delete``: the database's cascades do the rest.
    await work.session.execute(delete(User).where(User.id == user.id))


async def _refuse_losing(
    session: AsyncSession, principal: Principal, user: User, verb: str
) -> None:
    """Conflict when the caller would lock themself out or leave no active administrator."""
    if principal.user_id == user.id:
        raise Conflict(f"You cannot {verb} yourself: ask another administrator.")
    if not user.is_admin or user.disabled_at is not None:
        return
    # Lock the active administrators' rows (PostgreSQL) so two administrators
    # disabling each other at once cannot both pass; SQLite serializes writers.
    others = await session.scalars(
        select(User.id)
        .where(User.is_admin, User.disabled_at.is_(None), User.id != user.id)
        .with_for_update()
    )
    if not list(others):
        raise Conflict(f"{user.username} is the last active administrator and cannot be {verb}d.")
