"""Web sessions: a person signed in to the web pages with their password.

The cookie holds a random secret; the ``web_sessions`` row holds its sha256. A session
acts as its user with the user's own roles (no token scope, no feed limit). It lives
``SESSION_LIFETIME`` after its last use (sliding; the row is moved forward at most every
``TOUCH_EVERY`` so reads do not write on every request) and ends at sign-out, when the
user is disabled (checked on every load) or deleted (cascade).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import delete, select, update

from quiver.db.base import utcnow
from quiver.domain.errors import Unauthenticated
from quiver.domain.tokens import token_digest
from quiver.services.context import Context
from quiver.services.login.models import WebSession
from quiver.services.login.records import StartedSession
from quiver.services.records import Principal
from quiver.services.users.models import User
from quiver.services.users.records import UserInfo

SESSION_LIFETIME = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=5)
ADDRESS_MAX = 64


async def start_session(ctx: Context, user: UserInfo, address: str | None) -> StartedSession:
    """A new session for ``user`` (who has just proved their password).

    Unauthenticated when the user is gone or disabled. Expired sessions of every user
    are deleted on the way (sign-ins are rare; the table stays small).
    """
    now = utcnow()
    secret = secrets.token_urlsafe(32)
    row = WebSession(
        user_id=user.id,
        secret_digest=token_digest(secret),
        created_at=now,
        last_seen_at=now,
        expires_at=now + SESSION_LIFETIME,
        address=address[:ADDRESS_MAX] if address else None,
    )
    # A plain session: sign-in state is bookkeeping, not access rules or a feed's content.
    async with ctx.sessions() as session, session.begin():
        account = await session.get(User, user.id)
        if account is None or account.disabled_at is not None:
            raise Unauthenticated("This account cannot sign in.")
        await session.execute(delete(WebSession).where(WebSession.expires_at <= now))
        session.add(row)
    return StartedSession(secret=secret, expires_at=row.expires_at)


async def principal_of_session(ctx: Context, secret: str | None) -> Principal | None:
    """The signed-in user a cookie secret names, or None (unknown, expired, ended, or the
    user disabled). Moves the session's expiry forward when it was last seen a while ago."""
    if not secret:
        return None
    now = utcnow()
    query = (
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.secret_digest == token_digest(secret), WebSession.expires_at > now)
    )
    async with ctx.sessions() as session:
        row = (await session.execute(query)).first()
        if row is None or row[1].disabled_at is not None:
            return None
        web, user = row
        expires_at = web.expires_at
        if now - web.last_seen_at >= TOUCH_EVERY:
            expires_at = now + SESSION_LIFETIME
            await session.execute(
                update(WebSession)
                .where(WebSession.id == web.id)
                .values(last_seen_at=now, expires_at=expires_at)
            )
            await session.commit()
        return Principal(
            user_id=user.id, username=user.username, is_admin=user.is_admin, expires_at=expires_at
        )


async def end_session(ctx: Context, secret: str | None) -> None:
    """Delete the session a cookie secret names (nothing when there is none)."""
    if not secret:
        return
    async with ctx.sessions() as session, session.begin():
        await session.execute(
            delete(WebSession).where(WebSession.secret_digest == token_digest(secret))
        )
