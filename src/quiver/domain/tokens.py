"""Personal access token format: ``qvr_`` + 43 url-safe characters, stored as SHA-256."""

from __future__ import annotations

import hashlib
import re
import secrets

TOKEN_PREFIX = "qvr_"  # noqa: S105 (a public prefix, not a secret)
MAX_TOKEN_DAYS = 3650  # the longest lifetime a token may be given, in days
TOKEN_NAME_MAX = 100  # characters in a token's name
_TOKEN_RE = re.compile(r"^qvr_[A-Za-z0-9_-]{32,128}$")


def new_token() -> str:
    """A fresh random token (256 bits of entropy)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def looks_like_token(text: str) -> bool:
    """Whether ``text`` has the shape of a Quiver token (say, for QUIVER_ADMIN_TOKEN)."""
    return bool(_TOKEN_RE.match(text))


def token_digest(token: str) -> str:
    """The hex SHA-256 digest stored at rest; tokens are long random strings, so fast is safe."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_hint(token: str) -> str:
    """What may be shown of a token later: the prefix and four characters."""
    return token[: len(TOKEN_PREFIX) + 4] + "…"
