"""Use cases for users: the first administrator, creating, listing, disabling, enabling and
deleting users, passwords."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quiver.domain.errors import Conflict, Forbidden, NotFound, Unauthenticated
from quiver.domain.names import name_key, validate_slug
from quiver.domain.passwords import check_password
from quiver.domain.roles import Scope
from quiver.domain.tokens import new_token
from quiver.services.access import authenticate
from quiver.services.changes.record import Actor
from quiver.services.context import Context
from quiver.services.records import Principal
from quiver.services.tokens.models import Token
from quiver.services.unitofwork import unit_of_work
from quiver.services.users.lifecycle import disable_row, enable_row, remove_row
from quiver.services.users.models import User
from quiver.services.users.passwords import hash_password, password_matches
from quiver.services.users.records import UserInfo

ADMIN_USERNAME = "admin"


def user_info(user: User) -> UserInfo:
    """The frozen record of a user row."""
    return UserInfo(
        id=user.id,
        username=user.username,
        is_admin=user.is_admin,
        created_at=user.created_at,
        disabled_at=user.disabled_at,
    )


def require_admin(principal: Principal) -> None:
    """Forbidden unless the caller is a server administrator."""
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
        async with unit_of_work(ctx) as work:
            session = work.session
            if await session.scalar(select(User.id).limit(1)) is not None:
                return None
            admin = User(username=ADMIN_USERNAME, username_key=ADMIN_USERNAME, is_admin=True)
            session.add(admin)
            await session.flush()
            secret = preset or new_token()
            session.add(Token.issued(admin.id, "initial admin token", secret, Scope.MANAGE, None))
    except IntegrityError:
        return None
    return secret


async def create_user(
    ctx: Context, principal: Principal, username: str, *, admin: bool
) -> UserInfo:
    """Create a user (administrators with a manage token); Conflict when the name is taken."""
    require_admin(principal)
    principal.require_scope(Scope.MANAGE)
    validate_slug("User", username)
    try:
        async with unit_of_work(ctx) as work:
            user = User(username=username, username_key=name_key(username), is_admin=admin)
            work.session.add(user)
            await work.session.flush()
            created = user_info(user)
    except IntegrityError:
        raise Conflict(f"User {username} already exists.") from None
    return created


async def list_users(ctx: Context, principal: Principal) -> list[UserInfo]:
    """Administrators see everyone; other users see themselves."""
    user_id = principal.require_user()
    async with ctx.sessions() as session:
        query = select(User).order_by(User.username_key)
        if not principal.is_admin:
            query = query.where(User.id == user_id)
        return [user_info(user) for user in await session.scalars(query)]


async def get_user(session: AsyncSession, username: str) -> User:
    """The user row of that name (any case), for use cases inside ``session``; NotFound."""
    user = await session.scalar(select(User).where(User.username_key == name_key(username)))
    if user is None:
        raise NotFound(f"User {username} does not exist.")
    return user


async def set_password(ctx: Context, principal: Principal, username: str, password: str) -> None:
    """Set ``username``'s password: administrators for anyone, a user for themselves.

    Needs a ``packaging:manage`` token (account management). Raises Invalid when
    the password breaks the rules (8-1024 characters), Forbidden for another
    user's password, NotFound for an unknown user (administrators only learn that).
    """
    principal.require_user()
    principal.require_scope(Scope.MANAGE)
    if principal.username is None or name_key(username) != name_key(principal.username):
        require_admin(principal)
    check_password(password)
    digest = await hash_password(password)
    async with unit_of_work(ctx) as work:
        user = await get_user(work.session, username)
        user.password_hash = digest


async def verify_password(ctx: Context, username: str, password: str) -> UserInfo | None:
    """The user whose name and password these are, or None.

    An unknown user, a user without a password and a wrong password all cost one
    argon2 verification, so timing does not tell them apart. A disabled user is
    refused like a wrong password (after the same verification).
    """
    async with ctx.sessions() as session:
        user = await session.scalar(select(User).where(User.username_key == name_key(username)))
    stored = user.password_hash if user is not None else None
    matched = await password_matches(stored, password)  # also when the user is unknown
    if not matched or user is None or user.disabled_at is not None:
        return None
    return user_info(user)


async def verify_token(ctx: Context, username: str, secret: str) -> UserInfo | None:
    """The user a personal access token belongs to, when ``username`` names them (any
    case), for signing in to the web pages with a token instead of a password.

    None, like a wrong password, for a token that is unknown, expired, revoked, of a
    disabled user or of another user. Forbidden for a token of the user that is limited
    (a scope below ``packaging:manage`` or feed limits): a web session acts with all of
    the user's rights, so only a token that has them all may start one.
    """
    try:
        principal = await authenticate(ctx, secret)
    except Unauthenticated:
        return None
    if principal.user_id is None or name_key(principal.username or "") != name_key(username):
        return None
    if principal.scope is not Scope.MANAGE or principal.feed_ids is not None:
        raise Forbidden(
            "This token is limited (its scope or feeds): sign in with your password or a "
            "packaging:manage token without feed limits."
        )
    async with ctx.sessions() as session:
        user = await session.get(User, principal.user_id)
    if user is None or user.disabled_at is not None:
        return None
    return user_info(user)


async def disable_user(ctx: Context, principal: Principal, username: str) -> UserInfo:
    """Disable ``username`` (administrators with a manage token): their tokens stop at once.

    Sets ``disabled_at`` (kept when already set) and ends their web sessions; the
    unit of work then drops every cached principal here and in other processes.
    Conflict for oneself and for the last active administrator; NotFound.
    """
    require_admin(principal)
    principal.require_scope(Scope.MANAGE)
    async with unit_of_work(ctx) as work:
        user = await get_user(work.session, username)
        await disable_row(work.session, principal, user)
        return user_info(user)


async def enable_user(ctx: Context, principal: Principal, username: str) -> UserInfo:
    """Enable a disabled ``username`` again (administrators); a no-op when active. NotFound."""
    require_admin(principal)
    principal.require_scope(Scope.MANAGE)
    async with unit_of_work(ctx) as work:
        user = await get_user(work.session, username)
        enable_row(user)
        return user_info(user)


async def delete_user(ctx: Context, principal: Principal, username: str) -> None:
    """Delete ``username`` for good (administrators with a manage token).

    Their tokens, web sessions, device logins, memberships and feed roles go with
    them (each role's removal is in that feed's audit log); history keeps their
    name. Conflict for oneself and for the last active administrator; NotFound.
    """
    require_admin(principal)
    principal.require_scope(Scope.MANAGE)
    async with unit_of_work(ctx, Actor.of(principal)) as work:
        user = await get_user(work.session, username)
        await remove_row(work, principal, user)
