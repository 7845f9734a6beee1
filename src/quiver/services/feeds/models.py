"""Table: feeds (the roles users hold on them are in ``quiver.services.permissions``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from quiver.db.base import Base, utcnow


class Feed(Base):
    """A feed, org-scoped (``project_id`` is None) or project-scoped.

    ``path_key`` ("org/feed" or "org/project/feed", case-folded) makes names unique
    within their scope on every backend. ``serial`` grows with every change to the
    feed's packages; cached index pages are keyed by it.
    """

    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), default=None, index=True
    )
    name: Mapped[str] = mapped_column(String(64))
    path_key: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(String(255), default=None)
    visibility: Mapped[str] = mapped_column(String(16), default="private")
    serial: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Whether readers (not only collaborators and up) save from upstream sources.
    readers_can_save: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Set while the feed is in its organization's recycle bin: the name stays
    # reserved, reads and writes are refused, an owner can restore it.
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)
    deleted_by: Mapped[str | None] = mapped_column(String(64), default=None)
    # Retention policy (None: no such condition); see services/retention.
    retention_max_versions: Mapped[int | None] = mapped_column(Integer, default=None)
    retention_days: Mapped[int | None] = mapped_column(Integer, default=None)
