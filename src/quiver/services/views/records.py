"""What the views use cases return (``ViewInfo``, the read path's view, is shared:
``quiver.services.records``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ViewDetails:
    """A view as the API shows it: its own visibility (None: the feed's) and the one
    that applies."""

    name: str
    visibility: str | None
    effective_visibility: str
    created_at: datetime | None
    versions: int | None = None


@dataclass(frozen=True)
class Promotion:
    """A version's place in a view after a promotion or a demotion."""

    feed: str
    view: str
    name: str
    version: str
    promoted: bool


__all__ = ["Promotion", "ViewDetails"]
