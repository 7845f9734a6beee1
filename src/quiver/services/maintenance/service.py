"""Maintenance on a server host: fsck, backup, restore, and the temporary files.

The door the CLI (``quiver admin``) and the app's start call. The use cases open the
database and the blob store named by the settings themselves: they run beside the
servers (fsck, backup) or instead of them (restore), never through one. Failures are
``BackupError`` (an ``Invalid``; ``details["code"]``, when set, names the case, so a
caller may add a hint), ``BlobStoreError`` for a store that cannot be reached, and the
database's and the filesystem's own errors.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from quiver.blobs import BlobStore, FilesystemBlobStore, open_blob_store
from quiver.db.engine import make_engine
from quiver.services.maintenance import backup as backups
from quiver.services.maintenance import fsck as checks
from quiver.services.maintenance import restore as restores
from quiver.services.maintenance.archive import (
    BLOBS_MISSING,
    DATABASE_NOT_EMPTY,
    SCHEMA_BEHIND,
    BackupError,
    Manifest,
)
from quiver.services.maintenance.datadir import prepare_data_dir
from quiver.services.maintenance.fsck import FsckReport, Leftover
from quiver.services.maintenance.restore import Restored
from quiver.services.maintenance.tmpfiles import TmpClaim, sweep_at_start
from quiver.settings import Settings


async def fsck(settings: Settings, *, repair: bool, grace_seconds: float | None) -> FsckReport:
    """Compare the file rows with the blob store; with ``repair``, remove stale leftovers.

    A leftover is stale once older than ``grace_seconds`` (None: the settings'
    ``orphan_grace_seconds``); younger ones may be uploads in flight.
    """
    seconds = settings.orphan_grace_seconds if grace_seconds is None else grace_seconds
    engine = make_engine(settings.resolved_database_url())
    try:
        store = await open_blob_store(settings)
        where = checks.Fsck(engine, store, settings.tmp_dir, timedelta(seconds=seconds))
        return await checks.fsck(where, repair=repair)
    finally:
        await engine.dispose()


async def backup(settings: Settings, dest: Path) -> Manifest:
    """Back up the database and every blob it needs, as of one moment, to ``dest``.

    ``dest`` is a new or empty directory; a failed backup leaves nothing there.
    """
    store = await open_blob_store(settings)
    source = backups.Source(settings.resolved_database_url(), store, _storage_kind(store))
    return await backups.backup(source, dest)


async def restore(settings: Settings, src: Path, *, force: bool) -> Restored:
    """Restore the backup in ``src`` into the database and blob store, then migrate it.

    A database that is not empty is refused unless ``force`` (then it is dropped).
    """
    store = await open_blob_store(settings)
    target = restores.Target(settings.resolved_database_url(), store, settings.tmp_dir)
    return await restores.restore(src, target, force=force)


def _storage_kind(store: BlobStore) -> str:
    """What the manifest calls the store."""
    return "filesystem" if isinstance(store, FilesystemBlobStore) else "s3"


__all__ = [
    "BLOBS_MISSING",
    "DATABASE_NOT_EMPTY",
    "SCHEMA_BEHIND",
    "BackupError",
    "FsckReport",
    "Leftover",
    "Manifest",
    "Restored",
    "TmpClaim",
    "backup",
    "fsck",
    "prepare_data_dir",
    "restore",
    "sweep_at_start",
]
