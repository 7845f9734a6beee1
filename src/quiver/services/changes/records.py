"""What the change feed and audit log hand out, and who a recorded change names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from quiver.domain.events import SERVER_ACTOR
from quiver.services.records import Principal

T = TypeVar("T")


@dataclass(frozen=True)
class Actor:
    """Who made a change, as the audit log names them."""

    user_id: int | None
    name: str | None
    address: str | None = None

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        return cls(principal.user_id, principal.username, principal.address)


#: The server itself (scheduled retention and purges).
SERVER = Actor(user_id=None, name=SERVER_ACTOR)


@dataclass(frozen=True)
class Change:
    """One change as the change feed lists it: what changed, never who or from where."""

    seq: int
    kind: str
    package: str | None
    version: str | None
    view: str | None
    files: list[str]
    reason: str | None
    at: datetime


@dataclass(frozen=True)
class AuditEntry:
    """One event as the audit log shows it: the change, who made it and from where."""

    seq: int
    kind: str
    package: str | None
    version: str | None
    view: str | None
    actor: str | None
    address: str | None
    detail: dict[str, Any]
    at: datetime


@dataclass(frozen=True)
class Page(Generic[T]):
    """A page of a log, the token to continue from, and whether more is waiting now."""

    feed: str
    entries: list[T]
    continuation_token: str
    has_more: bool


__all__ = ["SERVER", "Actor", "AuditEntry", "Change", "Page"]
