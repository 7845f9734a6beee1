"""Download counts: counted in memory on the request path, written in batches off it.

A download of a file's bytes (GET, the whole file: not HEAD, not ``.metadata``,
not a ``Range`` request, not a ``304``) adds one to ``(feed, filename)`` in this
process's ``DownloadBuffer``. ``flush_downloads`` adds the buffered counts to
``files.download_count`` and moves ``files.last_download_at`` forward, in one
transaction; the app's flusher calls it every few seconds and on shutdown.
Adding (rather than setting) keeps counts right with several server processes.
Flushing bumps no serial and records no event: counts are not part of any index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, cast

from sqlalchemy import Table, bindparam, case, update
from sqlalchemy.ext.asyncio import AsyncSession

from quiver.db.base import UTCDateTime, utcnow
from quiver.services.packages.models import File

if TYPE_CHECKING:
    from quiver.db.engine import SessionFactory

Key = tuple[int, str]  # (feed id, filename)


@dataclass
class Tally:
    count: int
    last: datetime


@dataclass
class DownloadBuffer:
    """Downloads counted since the last flush, by (feed id, filename)."""

    pending: dict[Key, Tally] = field(default_factory=dict)

    def record(self, feed_id: int, filename: str, at: datetime | None = None) -> None:
        """Count one download (no I/O: safe on the request path)."""
        at = at or utcnow()
        tally = self.pending.get((feed_id, filename))
        if tally is None:
            self.pending[(feed_id, filename)] = Tally(1, at)
            return
        tally.count += 1
        tally.last = max(tally.last, at)

    def take(self) -> dict[Key, Tally]:
        """Everything counted so far; the buffer starts empty again."""
        taken, self.pending = self.pending, {}
        return taken

    def give_back(self, taken: dict[Key, Tally]) -> None:
        """Return counts that could not be written, so the next flush writes them."""
        for key, tally in taken.items():
            mine = self.pending.get(key)
            if mine is None:
                self.pending[key] = tally
            else:
                self.pending[key] = Tally(mine.count + tally.count, max(mine.last, tally.last))

    def __len__(self) -> int:
        return len(self.pending)


_AT = bindparam("at", type_=UTCDateTime())
_ADD = (
    update(cast(Table, File.__table__))  # Core: one statement executed for many rows
    .where(File.feed_id == bindparam("feed"), File.filename == bindparam("name"))
    .values(
        download_count=File.download_count + bindparam("n"),
        last_download_at=case(
            (File.last_download_at.is_(None), _AT),
            (File.last_download_at < _AT, _AT),
            else_=File.last_download_at,
        ),
    )
)


async def write_downloads(session: AsyncSession, taken: dict[Key, Tally]) -> None:
    """Add ``taken`` to the files' counts in the caller's transaction (sorted, so that
    two processes flushing at once lock rows in the same order)."""
    if not taken:
        return
    rows = [
        {"feed": feed_id, "name": filename, "n": tally.count, "at": tally.last}
        for (feed_id, filename), tally in sorted(taken.items())
    ]
    connection = await session.connection()
    await connection.execute(_ADD, rows)


async def flush_downloads(sessions: SessionFactory, buffer: DownloadBuffer) -> int:
    """Write what ``buffer`` holds; the number of files whose counts were written.

    If the write fails the counts go back into the buffer and the error propagates.
    """
    taken = buffer.take()
    if not taken:
        return 0
    try:
        # Bookkeeping, not a unit of work: counts change neither access nor what a feed shows.
        async with sessions() as session, session.begin():
            await write_downloads(session, taken)
    except BaseException:
        buffer.give_back(taken)
        raise
    return len(taken)


__all__ = ["DownloadBuffer", "Tally", "flush_downloads", "write_downloads"]
