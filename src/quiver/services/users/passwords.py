"""Users' passwords: set them, and check one at sign-in (argon2, off the event loop).

Passwords only ever sign a person in to approve a device login; clients
authenticate with tokens. Hashing runs in a worker thread so a sign-in never
stalls other requests.
"""

from __future__ import annotations

import asyncio
import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from quiver.domain.errors import Invalid
from quiver.domain.names import name_key
from quiver.domain.passwords import PASSWORD_MAX, check_password
from quiver.domain.roles import Scope
from quiver.services.context import Context
from quiver.services.records import Principal
from quiver.services.users.models import User
from quiver.services.users.service import get_user, require_admin

_HASHER = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against when the user is unknown, so both cases take as long."""
    return _HASHER.hash(secrets.token_urlsafe(16))


def _matches(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


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
    try:
        check_password(password)
    except Invalid as err:
        raise Invalid(str(err)) from None
    digest = await asyncio.to_thread(_HASHER.hash, password)
    async with ctx.sessions() as session, session.begin():
        user = await get_user(session, username)
        user.password_hash = digest


async def verify_password(ctx: Context, username: str, password: str) -> User | None:
    """The user whose name and password these are, or None.

    An unknown user, a user without a password and a wrong password all cost one
    argon2 verification, so timing does not tell them apart.
    """
    async with ctx.sessions() as session:
        user = await session.scalar(select(User).where(User.username_key == name_key(username)))
    stored = user.password_hash if user is not None else None
    if len(password) > PASSWORD_MAX:
        password = password[:PASSWORD_MAX] + "\0"  # never matches; costs the same
    matched = await asyncio.to_thread(_matches, stored or _dummy_hash(), password)
    return user if matched and stored else None
