"""Password hashes (argon2): make one, check one; both run off the event loop.

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

from quiver.domain.passwords import PASSWORD_MAX

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


async def hash_password(password: str) -> str:
    """The argon2 hash to store for ``password`` (already checked against the rules)."""
    return await asyncio.to_thread(_HASHER.hash, password)


async def password_matches(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches the ``stored`` hash; False when there is none.

    A missing hash and a too-long password cost one argon2 verification like any
    other, so timing does not tell them apart.
    """
    if len(password) > PASSWORD_MAX:
        password = password[:PASSWORD_MAX] + "\0"  # never matches; costs the same
    matched = await asyncio.to_thread(_matches, stored or _dummy_hash(), password)
    return matched and stored is not None
