"""Table: every change to a feed, in the order it was committed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quiver.db.base import Base, utcnow


class FeedEvent(Base):
    """One change to a feed: what (``kind`` and its subject), who, when, from where.

    ``seq`` is the feed's serial after the change. It is assigned while the
    change's transaction holds the feed row (the serial update locks it), so
    within a feed ``seq`` order is commit order: a reader paging by ``seq`` never
    sees a later number before an earlier one is committed.
    """

    __tablename__ = "feed_events"
    __table_args__ = (UniqueConstraint("feed_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    package: Mapped[str | None] = mapped_column(String(200), default=None)
    version: Mapped[str | None] = mapped_column(String(100), default=None)
    view: Mapped[str | None] = mapped_column(String(64), default=None)
    # filenames the change touched, reason, and other kind-specific facts
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    # the actor's name at the time (kept when the account goes), or "quiver" for the server
    actor: Mapped[str | None] = mapped_column(String(64), default=None)
    address: Mapped[str | None] = mapped_column(String(64), default=None)
    at: Mapped[datetime] = mapped_column(default=utcnow)
