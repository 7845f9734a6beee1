"""The data directory at start: created 0700, and what an older Quiver left open narrowed.

Quiver writes its files 0600 and its directories 0700 (``quiver.privatefs``). Data
written by an older version, or copied in under a umask of 022, may be readable by
other users of the host; each start takes the group and other bits off Quiver's
own entries of the data directory, a ``file://`` blob store and an SQLite database
kept elsewhere, and logs once how many paths it changed.
"""

from __future__ import annotations

import logging
from pathlib import Path

from quiver.blobs.location import FileLocation, parse_storage_url
from quiver.db.engine import sqlite_path
from quiver.privatefs import make_private, narrow, private_dirs
from quiver.settings import Settings

log = logging.getLogger("quiver")

# What Quiver keeps in the data directory. Nothing else there is touched: the
# directory may have been pointed at a place that holds other things too.
OWN_ENTRIES = ("blobs", "tmp", "tmp.locks", "form-key", "initial-admin-token")
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")
SHOWN = 3  # paths named in the log line about paths that could not be changed


def _roots(settings: Settings) -> list[Path]:
    """What to narrow below the data directory itself (which may not all exist)."""
    roots = [settings.data_dir / name for name in OWN_ENTRIES]
    if settings.storage_url is not None:
        location = parse_storage_url(settings.storage_url)
        if isinstance(location, FileLocation):
            roots.append(location.root)
    database = sqlite_path(settings.resolved_database_url())
    if database is not None:
        roots += [database.with_name(database.name + suffix) for suffix in SQLITE_COMPANIONS]
    return roots


def prepare_data_dir(settings: Settings) -> list[Path]:
    """Create the data directory (0700) and narrow what is too open; the paths changed.

    Logs one warning when anything changed, and one naming paths that could not be
    changed (owned by another user, say); neither stops the start.
    """
    data_dir = settings.data_dir
    private_dirs(data_dir)
    changed: list[Path] = []
    failed: list[Path] = []
    try:
        if narrow(data_dir):
            changed.append(data_dir)
    except OSError:
        failed.append(data_dir)
    for root in dict.fromkeys(_roots(settings)):  # in order, once each
        more, refused = make_private(root)
        changed += more
        failed += refused
    if changed:
        log.warning(
            "Made %d files and directories readable by the server's user only; they were "
            "readable by other users (data directory %s).",
            len(changed),
            data_dir,
        )
    if failed:
        named = ", ".join(str(path) for path in failed[:SHOWN])
        log.warning(
            "Could not make %d paths private (owned by another user?): %s%s",
            len(failed),
            named,
            " ..." if len(failed) > SHOWN else "",
        )
    return changed
