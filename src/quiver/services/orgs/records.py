"""What the orgs feature returns: frozen, detached from any session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class OrgInfo:
    """An organization."""

    name: str
    created_at: datetime


@dataclass(frozen=True)
class MemberInfo:
    """A user's membership of an organization; ``role`` is one of ``ORG_ROLES``."""

    username: str
    role: str


@dataclass(frozen=True)
class ProjectInfo:
    """A project: a group of feeds inside an organization."""

    name: str
    description: str | None
    created_at: datetime
