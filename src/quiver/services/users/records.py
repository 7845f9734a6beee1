"""What the users feature returns: frozen, detached from any session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class UserInfo:
    """A user as the API shows it (never the password hash)."""

    id: int
    username: str
    is_admin: bool
    created_at: datetime
    # when an administrator disabled the user (None: active)
    disabled_at: datetime | None = None

    @property
    def disabled(self) -> bool:
        return self.disabled_at is not None
