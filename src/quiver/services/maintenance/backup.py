"""``quiver admin backup DEST``: the database and every blob it needs, as of one moment.

Consistency without stopping the servers: the rows are read in one snapshot transaction
(see snapshot.py), then every blob those rows need is copied. Blobs are written once under
content-addressed keys and never change, so a blob copied after the snapshot has the bytes
the snapshot's rows mean; each copy is checked against the size and sha256 its row
recorded. A blob that is gone fails the backup (naming the files), as does any other error;
a failed backup leaves no directory that looks like a backup.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from quiver import __version__
from quiver.blobs import BlobStore
from quiver.privatefs import narrow, private_dirs
from quiver.services.maintenance.archive import (
    BLOBS_MISSING,
    SCHEMA_BEHIND,
    BackupError,
    BlobEntry,
    Manifest,
    in_parallel,
    save_blob,
    write_blob_list,
    write_manifest,
)
from quiver.services.maintenance.dump import Row, dump_table, dumped_tables
from quiver.services.maintenance.references import FileRow, rows_needing
from quiver.services.maintenance.snapshot import (
    database_revision,
    head_revision,
    read_snapshot,
    snapshot_engine,
)

SHOWN = 10  # files named in an error, at most


@dataclass(frozen=True)
class Source:
    """What to back up: the database URL (SQLAlchemy, async driver) and the blob store."""

    database_url: str
    blobs: BlobStore
    storage: str  # "filesystem" or "s3", for the manifest


async def backup(source: Source, dest: Path) -> Manifest:
    """Write a backup of ``source`` to the new (or empty) directory ``dest``."""
    created = _prepare(dest)
    try:
        return await _backup(source, dest)
    except BaseException:
        _discard(dest, created)
        raise


def _prepare(dest: Path) -> bool:
    """Make sure ``dest`` is a new or empty directory; whether it was created."""
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} exists and is not an empty directory; name a new one.")
    created = not dest.exists()
    private_dirs(dest / "database")
    narrow(dest)  # given empty by the operator: it will hold password hashes
    return created


def _discard(dest: Path, created: bool) -> None:
    """Remove what a failed backup wrote (and ``dest`` itself when it made it)."""
    if created:
        shutil.rmtree(dest, ignore_errors=True)
        return
    for child in list(dest.iterdir()):
        if child.is_dir():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


async def _backup(source: Source, dest: Path) -> Manifest:
    needed: dict[str, BlobEntry] = {}

    def note_blobs(row: Row) -> None:
        needed[row["blob_key"]] = BlobEntry(row["blob_key"], row["size"], row["sha256"])
        if row["metadata_blob_key"]:
            key = row["metadata_blob_key"]
            needed[key] = BlobEntry(key, row["metadata_size"], row["metadata_sha256"])

    engine = snapshot_engine(source.database_url)
    try:
        async with read_snapshot(engine) as connection:
            revision = await database_revision(connection)
            if revision != head_revision():
                raise BackupError(
                    f"The database is at schema version {revision or '(none)'}, not at this "
                    f"Quiver's {head_revision()}: upgrade its schema first.",
                    code=SCHEMA_BEHIND,
                )
            manifest = Manifest(
                created_at=datetime.now(UTC).isoformat(),
                quiver_version=__version__,
                alembic_revision=revision,
                source={"database": engine.dialect.name, "storage": source.storage},
            )
            for number, table in enumerate(dumped_tables(), start=1):
                path = dest / "database" / f"{number:02d}-{table.name}.jsonl"
                seen = note_blobs if table.name == "files" else None
                manifest.tables.append(await dump_table(connection, table, path, seen))
        entries = [needed[key] for key in sorted(needed)]
        missing = await _copy_blobs(source.blobs, entries, dest)
        if missing:
            async with engine.connect() as connection:
                rows = await rows_needing(connection, missing)
            named = {"code": BLOBS_MISSING} if rows else {}  # fsck can list them all
            raise BackupError(_missing_message(missing, rows), **named)
    finally:
        await engine.dispose()
    manifest.blobs = len(entries)
    manifest.blob_bytes = sum(entry.size for entry in entries)
    manifest.blob_list_sha256 = write_blob_list(dest, entries)
    write_manifest(dest, manifest)
    return manifest


async def _copy_blobs(store: BlobStore, entries: list[BlobEntry], dest: Path) -> set[str]:
    """Copy every blob; the keys the store does not have."""
    missing: set[str] = set()

    async def copy(entry: BlobEntry) -> None:
        try:
            await save_blob(store, entry, dest)
        except FileNotFoundError:
            missing.add(entry.key)

    await in_parallel(entries, copy)
    return missing


def _missing_message(missing: set[str], rows: list[FileRow]) -> str:
    named = [row.describe() for row in rows[:SHOWN]]
    if not rows:  # deleted meanwhile (a purge): their rows are in the snapshot all the same
        return (
            f"{len(missing)} blob(s) were deleted while the backup ran (a purge or retention "
            "run removed their files); run the backup again."
        )
    more = f" and {len(rows) - SHOWN} more" if len(rows) > SHOWN else ""
    return (
        f"{len(missing)} blob(s) the database needs are missing from the blob store, so "
        f"this backup would not be complete: {'; '.join(named)}{more}."
    )
