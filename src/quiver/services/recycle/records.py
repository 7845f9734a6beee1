"""What the recycle bins answer with: a version in a feed's bin, a feed in the feed bin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from quiver.services.feeds.records import FeedDetails


@dataclass(frozen=True)
class RecycledVersion:
    """A version in (or just taken out of) a feed's recycle bin."""

    feed: str
    package: str
    version: str
    deleted_at: datetime
    deleted_by: str | None
    purge_after: datetime
    filenames: tuple[str, ...]


@dataclass(frozen=True)
class BinnedFeed:
    """A feed in the recycle bin: who deleted it, when, and when it goes for good."""

    details: FeedDetails
    deleted_at: datetime
    deleted_by: str | None
    purge_after: datetime


__all__ = ["BinnedFeed", "RecycledVersion"]
