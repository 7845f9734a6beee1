"""Table: the explicit roles users hold on feeds."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from quiver.db.base import Base


class FeedRole(Base):
    """An explicit role of one user on one feed (``quiver.domain.roles.Role`` value)."""

    __tablename__ = "feed_roles"

    feed_id: Mapped[int] = mapped_column(
        ForeignKey("feeds.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[int] = mapped_column(Integer)
