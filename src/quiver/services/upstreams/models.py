"""Table: the ordered upstream sources of a feed (see docs/design/upstreams.md)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quiver.db.base import Base, utcnow

KIND_FEED = "feed"
# Stored as the URL of an index upstream: the public index, wherever QUIVER_PYPI_URL points now.
PYPI_ALIAS = "pypi"
# The longest failure sentence kept per upstream (longer ones are cut).
ERROR_LENGTH = 300


def view_key(view: str | None) -> str | None:
    """The key ``source_view_key`` holds for ``view``: its casefold (SQL ``lower`` differs)."""
    return None if view is None else view.casefold()


class Upstream(Base):
    """One upstream source of a feed, at ``position`` (0-based, dense) in its list.

    ``kind`` ``index``: any PEP 503/691 simple index at ``url`` (ending in ``/``),
    with optional ``username``/``secret`` (the secret is never returned by any API).
    ``kind`` ``feed``: another feed of this server, ``source_feed_id`` through
    ``source_view``; ``source_view_key`` is its casefold, the key renaming and deleting
    a view match on (kept in step by ``view_key`` wherever ``source_view`` is written).

    Health (index upstreams only; ``health.py`` writes it, off the unit of work):
    ``last_ok_at`` the last time a page of the index was fetched successfully (a 404
    counts: the index answered), ``last_error_at``/``last_error`` the last failure, one
    sentence without credentials, at most ``ERROR_LENGTH`` characters. The error is
    kept once the index answers again: the source is healthy while ``last_ok_at`` is
    the later of the two times.
    """

    __tablename__ = "upstreams"
    __table_args__ = (
        UniqueConstraint("feed_id", "name"),
        UniqueConstraint("feed_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(String(2048), default=None)
    username: Mapped[str | None] = mapped_column(String(255), default=None)
    secret: Mapped[str | None] = mapped_column(String(1024), default=None)
    source_feed_id: Mapped[int | None] = mapped_column(
        ForeignKey("feeds.id", ondelete="CASCADE"), default=None, index=True
    )
    source_view: Mapped[str | None] = mapped_column(String(64), default=None)
    source_view_key: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_ok_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(String(ERROR_LENGTH), default=None)
