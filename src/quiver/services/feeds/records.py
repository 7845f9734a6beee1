"""What the feeds feature returns: a feed as its callers see it (no ORM rows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from quiver.domain.roles import Role
from quiver.services.feeds.models import Feed


@dataclass(frozen=True)
class FeedDetails:
    """A feed as the API shows it, with the caller's effective role."""

    id: int
    name: str
    ref: str
    org: str
    project: str | None
    description: str | None
    visibility: str
    created_at: datetime
    readers_can_save: bool
    role: Role
    # set while the feed is in its organization's recycle bin
    deleted_at: datetime | None = None
    deleted_by: str | None = None

    @classmethod
    def of(cls, feed: Feed, ref: str, org: str, project: str | None, role: Role) -> FeedDetails:
        """The record of ``feed`` (a row read in the caller's session)."""
        return cls(
            id=feed.id,
            name=feed.name,
            ref=ref,
            org=org,
            project=project,
            description=feed.description,
            visibility=feed.visibility,
            created_at=feed.created_at,
            readers_can_save=feed.readers_can_save,
            role=role,
            deleted_at=feed.deleted_at,
            deleted_by=feed.deleted_by,
        )


@dataclass(frozen=True)
class FeedCard:
    """A feed on the web home page: where it is, and how much it holds."""

    ref: str
    org: str
    project: str | None
    name: str
    description: str | None
    visibility: str
    packages: int
    updated_at: datetime | None
