"""``quiver admin restore SRC``: a backup into an empty database and a blob store.

Everything in the backup is checked against its manifest first (table files and the blob
list by sha256; each blob by size and sha256 as it is copied), so a damaged backup fails
before the database is touched. Blobs go in first (one already in the store under the same
content-addressed key is the same bytes, and is kept), then the rows, so no row ever
points at a blob that is not there. The schema is created by the migrations at the
backup's version, the rows are loaded, and the migrations then bring it to this Quiver's.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from quiver.blobs import BlobStore
from quiver.db.engine import make_engine
from quiver.db.migrate import upgrade, upgrade_on_connection
from quiver.services.maintenance import tmpfiles
from quiver.services.maintenance.archive import (
    DATABASE_NOT_EMPTY,
    BackupError,
    BlobEntry,
    Manifest,
    blob_path,
    copy_checked,
    file_sha256,
    in_parallel,
    read_blob_list,
    read_manifest,
)
from quiver.services.maintenance.dump import (
    drop_everything,
    load_table,
    reflected_tables,
    reset_sequences,
    row_counts,
)
from quiver.services.maintenance.snapshot import known_revision


@dataclass(frozen=True)
class Target:
    """Where to restore: the database URL (async driver), the blob store, a temp directory."""

    database_url: str
    blobs: BlobStore
    tmp_dir: Path


@dataclass(frozen=True)
class Restored:
    """What a restore did."""

    manifest: Manifest
    rows: int
    blobs_copied: int
    blobs_present: int


async def restore(src: Path, target: Target, *, force: bool = False) -> Restored:
    """Restore the backup in ``src``; ``force`` replaces whatever the database holds."""
    manifest = read_manifest(src)
    entries = await asyncio.to_thread(_verify, src, manifest)
    engine = make_engine(target.database_url)
    try:
        await _refuse_unless_empty(engine, force)
        with tmpfiles.claimed(target.tmp_dir):
            copied, present = await _put_blobs(src, entries, target)
        rows = await _load(engine, src, manifest)
        await upgrade(engine)
    finally:
        await engine.dispose()
    return Restored(manifest, rows, copied, present)


def _verify(src: Path, manifest: Manifest) -> list[BlobEntry]:
    """Check every file of the backup against the manifest; the blobs it holds."""
    if not known_revision(manifest.alembic_revision):
        raise BackupError(
            f"The backup's schema version {manifest.alembic_revision} is unknown to this "
            "Quiver, which is older than the one that made it: restore with that Quiver or "
            "a newer one."
        )
    for table in manifest.tables:
        path = src / "database" / table.file
        if not path.is_file() or file_sha256(path) != table.sha256:
            raise BackupError(f"{path} is missing or damaged (its sha256 does not match).")
    blob_list = src / "blobs.jsonl"
    if not blob_list.is_file() or file_sha256(blob_list) != manifest.blob_list_sha256:
        raise BackupError(f"{blob_list} is missing or damaged (its sha256 does not match).")
    entries = read_blob_list(src)
    if len(entries) != manifest.blobs:
        raise BackupError(f"{blob_list} lists {len(entries)} blobs, not {manifest.blobs}.")
    for entry in entries:
        path = blob_path(src, entry.key)
        if not path.is_file() or path.stat().st_size != entry.size:
            raise BackupError(f"The blob {path} is missing or has the wrong size.")
    return entries


async def _refuse_unless_empty(engine: AsyncEngine, force: bool) -> None:
    async with engine.connect() as connection:
        counts = await row_counts(connection)
        rows = sum(counts.values())
        if rows and not force:
            raise BackupError(
                f"The database is not empty ({rows} rows in "
                f"{sum(1 for n in counts.values() if n)} tables): restore into a new, empty "
                "database, or force the restore to replace everything in it.",
                code=DATABASE_NOT_EMPTY,
            )
        await drop_everything(connection)
        await connection.commit()


async def _put_blobs(src: Path, entries: list[BlobEntry], target: Target) -> tuple[int, int]:
    """Copy the blobs the store lacks; how many were copied and how many were there."""
    counts = {"copied": 0, "present": 0}

    async def put(entry: BlobEntry) -> None:
        stored = await target.blobs.stat(entry.key)
        if stored is not None and stored.size == entry.size:
            counts["present"] += 1
            return
        staged = target.tmp_dir / f"restore-{entry.sha256[:16]}-{id(entry)}.part"
        try:
            await asyncio.to_thread(copy_checked, blob_path(src, entry.key), staged, entry)
            await target.blobs.put_file(entry.key, staged)
        finally:
            staged.unlink(missing_ok=True)
        counts["copied"] += 1

    await in_parallel(entries, put)
    return counts["copied"], counts["present"]


async def _load(engine: AsyncEngine, src: Path, manifest: Manifest) -> int:
    """Create the schema at the backup's version and load every table, in one transaction."""
    rows = 0
    async with engine.connect() as connection:
        await connection.begin()  # the migrations run inside it, not in one of their own
        if connection.dialect.name == "postgresql":  # servers starting now wait for us
            await connection.exec_driver_sql("SELECT pg_advisory_xact_lock(727270001)")
        await connection.run_sync(upgrade_on_connection, manifest.alembic_revision)
        metadata = await reflected_tables(connection)
        for table in manifest.tables:
            if table.name not in metadata.tables:
                raise BackupError(f"The schema has no table {table.name} for the backup's rows.")
            loaded = await load_table(
                connection, metadata.tables[table.name], src / "database" / table.file
            )
            if loaded != table.rows:
                raise BackupError(f"{table.file} held {loaded} rows, not {table.rows}.")
            rows += loaded
        await reset_sequences(connection, metadata)
        await connection.commit()
    return rows
