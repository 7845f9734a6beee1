"""Tables: the views of a feed and the versions promoted to each."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quiver.db.base import Base, utcnow

LOCAL_VIEW = "local"
DEFAULT_VIEWS = ("prerelease", "release")


class FeedView(Base):
    """A named view of a feed other than ``local`` (which is implicit: every file).

    ``visibility`` None means the feed's own; a value (private, organization,
    public) can only widen who reads the view, never narrow the feed.
    """

    __tablename__ = "feed_views"
    __table_args__ = (UniqueConstraint("feed_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    name_key: Mapped[str] = mapped_column(String(64))
    visibility: Mapped[str | None] = mapped_column(String(16), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ViewVersion(Base):
    """A version promoted to a view."""

    __tablename__ = "view_versions"

    view_id: Mapped[int] = mapped_column(
        ForeignKey("feed_views.id", ondelete="CASCADE"), primary_key=True
    )
    version_id: Mapped[int] = mapped_column(
        ForeignKey("versions.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    promoted_at: Mapped[datetime] = mapped_column(default=utcnow)
    promoted_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )


def default_views(feed_id: int) -> list[FeedView]:
    """The views every new feed starts with (besides ``local``)."""
    return [FeedView(feed_id=feed_id, name=name, name_key=name) for name in DEFAULT_VIEWS]
