"""What the tokens feature returns: frozen, detached from any session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from quiver.domain.roles import Scope


@dataclass(frozen=True)
class TokenInfo:
    """A token as its owner sees it: never the secret, only its hint.

    ``feeds`` are the refs (``org/feed``, ``org/project/feed``) it is limited to,
    sorted; empty for a token that reaches every feed its user can.
    """

    id: int
    name: str
    username: str
    hint: str
    scope: Scope
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    feeds: tuple[str, ...] = ()


@dataclass(frozen=True)
class NewToken:
    """A token just created: the secret is shown this once and never again."""

    secret: str
    token: TokenInfo
