"""What the permissions feature returns: frozen, detached from any session."""

from __future__ import annotations

from dataclasses import dataclass

from quiver.domain.roles import Role


@dataclass(frozen=True)
class PermissionInfo:
    """A user's explicit role on a feed."""

    username: str
    role: Role
