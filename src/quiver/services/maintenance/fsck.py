"""``quiver admin fsck``: blobs no row refers to, rows whose blobs are gone, and leftovers.

A crash between storing a file's blob and committing its row leaves an *orphan* blob: never
served, but taking space. ``repair`` removes orphans, unfinished writes and stale temporary
files, but only those older than the grace period: a younger one may belong to an upload in
flight in another process, whose row is about to be committed. Rows whose blobs are missing
cannot be repaired here (the bytes are gone); they are reported, by feed, package, version and
filename, so they can be restored from a backup or deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from quiver.blobs import BlobInfo, BlobStore, PartialWrite, is_blob_key
from quiver.services.maintenance import tmpfiles
from quiver.services.maintenance.references import (
    FileRow,
    referenced_keys,
    rows_needing,
)
from quiver.services.recycle.service import delete_if_unused


@dataclass
class Leftover:
    """An orphan blob, an unfinished write or a temporary file."""

    kind: str  # "orphan blob", "unfinished write" or "temporary file"
    path: str
    size: int | None
    modified: datetime
    removable: bool  # stale: past the grace period (or, for a temporary file, no live writer)
    removed: bool = False
    partial: PartialWrite | None = field(default=None, repr=False, compare=False)
    temp: tmpfiles.TempFile | None = field(default=None, repr=False, compare=False)


@dataclass
class FsckReport:
    """What fsck found (and, with repair, removed)."""

    blobs: int = 0
    referenced: int = 0
    foreign: int = 0  # objects in the store whose keys are not blob keys: left alone
    leftovers: list[Leftover] = field(default_factory=list)
    missing: list[FileRow] = field(default_factory=list)

    @property
    def problems(self) -> int:
        """Rows without their blobs, and stale leftovers still there."""
        stale = [item for item in self.leftovers if item.removable and not item.removed]
        return len(self.missing) + len(stale)


@dataclass(frozen=True)
class Fsck:
    """Where to look, and how old a leftover must be before it counts as abandoned."""

    engine: AsyncEngine
    blobs: BlobStore
    tmp_dir: Path
    grace: timedelta


async def fsck(where: Fsck, *, repair: bool) -> FsckReport:
    """Compare the rows with the store; with ``repair``, remove the stale leftovers."""
    report = FsckReport()
    temp_stale, temp_young = tmpfiles.stale_temp_files(where.tmp_dir, where.grace)
    # Rows first, then the store: a blob stored after the rows were read is young, and an
    # orphan only when past the grace period.
    async with where.engine.connect() as connection:
        referenced = await referenced_keys(connection)
    stored: dict[str, BlobInfo] = {}
    async for blob in where.blobs.iter_blobs():
        if is_blob_key(blob.key):
            stored[blob.key] = blob
        else:  # not Quiver's: someone else's file in a shared bucket or directory
            report.foreign += 1
    report.blobs, report.referenced = len(stored), len(referenced)
    cutoff = datetime.now(UTC) - where.grace
    for key in sorted(stored.keys() - referenced):
        blob = stored[key]
        report.leftovers.append(
            Leftover("orphan blob", key, blob.size, blob.modified, blob.modified < cutoff)
        )
    async for partial in where.blobs.iter_partial_writes():
        name = f"{partial.path} (upload {partial.upload_id})" if partial.upload_id else partial.path
        stale = partial.started < cutoff
        report.leftovers.append(
            Leftover("unfinished write", name, None, partial.started, stale, partial=partial)
        )
    for temp, stale in [(t, True) for t in temp_stale] + [(t, False) for t in temp_young]:
        report.leftovers.append(
            Leftover("temporary file", str(temp.path), temp.size, temp.modified, stale, temp=temp)
        )
    report.missing = await _missing(where, referenced - stored.keys())
    if repair:
        for item in report.leftovers:
            if item.removable:
                await _remove(where, item)
    return report


async def _missing(where: Fsck, candidates: set[str]) -> list[FileRow]:
    """The rows needing blobs that are not in the store, looked at again one by one.

    A row written or deleted while the store was listed would otherwise look wrong.
    """
    gone = {key for key in candidates if not await where.blobs.exists(key)}
    if not gone:
        return []
    async with where.engine.connect() as connection:
        return await rows_needing(connection, gone)


async def _remove(where: Fsck, item: Leftover) -> None:
    """Remove a stale leftover; an orphan that is in use by now is no leftover after all."""
    if item.partial is not None:
        await where.blobs.discard_partial_write(item.partial)
        item.removed = True
    elif item.temp is not None:
        tmpfiles.remove([item.temp])
        item.removed = True
    else:
        cutoff = datetime.now(UTC) - where.grace
        item.removed = await _remove_orphan(where, item.path, cutoff)
        item.removable = item.removed


async def _remove_orphan(where: Fsck, key: str, cutoff: datetime) -> bool:
    """Delete ``key`` unless, by now, a row or a writer's claim needs it or it was written again.

    Decided and done under the blob's lock (services.recycle.claims), so an upload of the
    same bytes that is under way keeps its blob.
    """
    return await delete_if_unused(where.engine, where.blobs, key, written_before=cutoff)
