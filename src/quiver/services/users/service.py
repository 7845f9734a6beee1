"""Use cases for users and personal access tokens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quiver.db.base import utcnow
from quiver.domain.errors import Conflict, Forbidden, Invalid, NotFound
from quiver.domain.names import name_key, validate_slug
from quiver.domain.roles import Role, Scope
from quiver.domain.tokens import new_token, token_digest, token_hint
from quiver.services.access import authorize
from quiver.services.context import Context
from quiver.services.records import FeedRef, Principal
from quiver.services.users.models import Token, TokenFeed, User

ADMIN_USERNAME = "admin"
MAX_TOKEN_DAYS = 3650


@dataclass(frozen=True)
class NewToken:
    """A token just created: the secret is shown this once and never again."""

    secret: str
    token: Token


def require_admin(principal: Principal) -> None:
    principal.require_user()
    if not principal.is_admin:
        raise Forbidden("Only server administrators may do this.")


async def bootstrap_admin(ctx: Context, preset: str | None) -> str | None:
    """Create the ``admin`` user and its token on first start; return the new secret.

    Returns None when any user exists already. ``preset`` (QUIVER_ADMIN_TOKEN)
    is used as the token when given (``Settings`` checked its shape).
    Several processes starting at once on an empty database may all find no
    user; the unique user name lets one insert ``admin``, the others get an
    IntegrityError (after the winner's commit) and return None.
    """
    try:
        async with ctx.sessions() as session, session.begin():
            if await session.scalar(select(User.id).limit(1)) is not None:
                return None
            admin = User(username=ADMIN_USERNAME, username_key=ADMIN_USERNAME, is_admin=True)
            session.add(admin)
            await session.flush()
            secret = preset or new_token()
            session.add(_token_row(admin.id, "initial admin token", secret, Scope.MANAGE, None))
    except IntegrityError:
        return None
    return secret


def _token_row(
    user_id: int, name: str, secret: str, scope: Scope, expires_at: datetime | None
) -> Token:
    return Token(
        user_id=user_id,
        name=name,
        digest=token_digest(secret),
        hint=token_hint(secret),
        scope=int(scope),
        expires_at=expires_at,
    )


async def create_user(ctx: Context, principal: Principal, username: str, *, admin: bool) -> User:
    require_admin(principal)
    principal.require_scope(Scope.MANAGE)
    try:
        validate_slug("User", username)
    except Invalid as err:
        raise Invalid(str(err)) from None
    async with ctx.sessions() as session:
        user = User(username=username, username_key=name_key(username), is_admin=admin)
        session.add(user)
        try:
            await session.commit()
        except IntegrityError:
            raise Conflict(f"User {username} already exists.") from None
    return user


async def list_users(ctx: Context, principal: Principal) -> Sequence[User]:
    """Administrators see everyone; other users see themselves."""
    user_id = principal.require_user()
    async with ctx.sessions() as session:
        query = select(User).order_by(User.username_key)
        if not principal.is_admin:
            query = query.where(User.id == user_id)
        return (await session.scalars(query)).all()


async def get_user(session: AsyncSession, username: str) -> User:
    user = await session.scalar(select(User).where(User.username_key == name_key(username)))
    if user is None:
        raise NotFound(f"User {username} does not exist.")
    return user


async def create_token(
    ctx: Context,
    principal: Principal,
    *,
    name: str,
    scope: Scope,
    for_user: str | None = None,
    feeds: Sequence[FeedRef] = (),
    expires_in_days: int | None = None,
) -> NewToken:
    """Create a token for the caller (or, for administrators, for ``for_user``).

    Needs a ``packaging:manage`` token (Forbidden otherwise). A token never
    exceeds the one that creates it: a higher scope or a feed outside the
    creator's limit is refused (Forbidden); without ``feeds`` the new token gets
    the creator's limit; its expiry is the earlier of ``expires_in_days`` from now
    and the creator's expiry, so an expiring token never makes one that outlives it.
    """
    require_token_manager(principal)
    if principal.scope is not None and scope > principal.scope:
        raise Forbidden(f"A {principal.scope.label} token cannot create a {scope.label} token.")
    if not name or len(name) > 100:
        raise Invalid("Token name must be 1-100 characters.")
    expires_at = _capped(_expiry(expires_in_days), principal.expires_at)
    feed_ids = await _token_feed_ids(ctx, principal, feeds)
    secret = new_token()
    async with ctx.sessions() as session, session.begin():
        user_id = principal.user_id
        if for_user is not None:
            user = await get_user(session, for_user)
            if user.id != principal.user_id:
                require_admin(principal)
            user_id = user.id
        assert user_id is not None
        row = _token_row(user_id, name, secret, scope, expires_at)
        row.feeds = [TokenFeed(feed_id=feed_id) for feed_id in feed_ids]
        session.add(row)
    return NewToken(secret=secret, token=row)


def issue_token(
    session: AsyncSession, user_id: int, *, name: str, scope: Scope, expires_in_days: int | None
) -> NewToken:
    """Add a new token for ``user_id`` to ``session``; the caller owns the transaction.

    For use cases that decide on their own who gets a token (device login).
    """
    secret = new_token()
    row = _token_row(user_id, name[:100], secret, scope, _expiry(expires_in_days))
    session.add(row)
    return NewToken(secret=secret, token=row)


def require_token_manager(principal: Principal) -> int:
    """The caller's user id when its token may manage tokens; Forbidden otherwise.

    Managing tokens (create, list, revoke another) needs ``packaging:manage``:
    a read or write token handed to a tool must not mint or end credentials.
    """
    user_id = principal.require_user()
    if principal.scope is not None and principal.scope < Scope.MANAGE:
        raise Forbidden(
            f"Managing tokens needs a {Scope.MANAGE.label} token and this one is "
            f"{principal.scope.label}: use a {Scope.MANAGE.label} token "
            "(for example from 'quiver login --scope manage')."
        )
    return user_id


def _capped(asked: datetime | None, creator: datetime | None) -> datetime | None:
    """The new token's expiry: what was asked for, but never past the creator's.

    Capped rather than refused: lifetimes are asked for in whole days from now,
    so "as long as my token" cannot be asked for exactly (see docs/decisions.md).
    """
    if creator is None:
        return asked
    return creator if asked is None or asked > creator else asked


def _within_reach(principal: Principal, token: Token) -> bool:
    """Whether the caller may see and revoke ``token`` (of a user it may manage).

    A token limited to feeds reaches itself and tokens limited within its feeds
    only: those it could have created. Others reach every token of the user.
    """
    if principal.feed_ids is None or token.id == principal.token_id:
        return True
    feeds = {limit.feed_id for limit in token.feeds}
    return bool(feeds) and feeds <= principal.feed_ids


def _expiry(days: int | None) -> datetime | None:
    if days is None:
        return None
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise Invalid(f"Token lifetime must be 1-{MAX_TOKEN_DAYS} days.")
    return utcnow() + timedelta(days=days)


async def _token_feed_ids(
    ctx: Context, principal: Principal, feeds: Sequence[FeedRef]
) -> list[int]:
    ids: list[int] = []
    for ref in feeds:
        # authorize, not just resolve: a limit must not reveal feeds the caller cannot see.
        feed = await authorize(ctx, principal, ref, Role.READER)
        if principal.feed_ids is not None and feed.id not in principal.feed_ids:
            raise Forbidden(f"Your token is not valid for feed {ref}.")
        ids.append(feed.id)
    if not ids and principal.feed_ids is not None:
        # A limited token may only create tokens limited the same way.
        ids = sorted(principal.feed_ids)
    return sorted(set(ids))


async def list_tokens(
    ctx: Context, principal: Principal, for_user: str | None = None
) -> Sequence[Token]:
    """The caller's tokens, or (administrators) another user's.

    Needs a ``packaging:manage`` token; a token limited to feeds sees only the
    tokens within its reach (itself and tokens limited within its feeds).
    """
    user_id = require_token_manager(principal)
    async with ctx.sessions() as session:
        await flush_token_usage(ctx, session)
        if for_user is not None:
            user = await get_user(session, for_user)
            if user.id != user_id:
                require_admin(principal)
            user_id = user.id
        query = select(Token).where(Token.user_id == user_id).order_by(Token.id)
        tokens = (await session.scalars(query)).all()
    return [token for token in tokens if _within_reach(principal, token)]


async def revoke_token(ctx: Context, principal: Principal, token_id: int) -> Token:
    """Revoke one of the caller's tokens (administrators: anyone's); takes effect at once.

    A token may always revoke itself; revoking another needs ``packaging:manage``
    and, for a token limited to feeds, a token within its reach (Forbidden).
    """
    user_id = principal.require_user()
    itself = token_id == principal.token_id
    if not itself:
        require_token_manager(principal)
    async with ctx.sessions() as session, session.begin():
        token = await session.get(Token, token_id)
        if token is None or (token.user_id != user_id and not principal.is_admin):
            raise NotFound(f"Token {token_id} does not exist.")
        if not _within_reach(principal, token):
            raise Forbidden(
                "Your token is limited to some feeds: it may revoke only itself and "
                "tokens limited to those feeds."
            )
        if token.revoked_at is None:
            token.revoked_at = utcnow()
    ctx.access.invalidate()
    return token


async def flush_token_usage(ctx: Context, session: AsyncSession | None = None) -> None:
    """Write the buffered last-used times; called off the request path."""
    used, ctx.token_usage = ctx.token_usage, set()
    if not used:
        return
    statement = update(Token).where(Token.id.in_(used)).values(last_used_at=utcnow())
    if session is not None:
        await session.execute(statement)
        await session.commit()
        return
    async with ctx.sessions() as own, own.begin():
        await own.execute(statement)
