"""Recognising "the disk is full" in whatever form it arrives, and the free-space floor.

A full data volume shows up as ``OSError`` ENOSPC/EDQUOT from the filesystem, as SQLite's
``database or disk is full`` (SQLITE_FULL), or as PostgreSQL's ``disk_full`` (SQLSTATE
53100), possibly wrapped by SQLAlchemy. The API answers all of them with 507 and a
sentence instead of a 500 (api/errors.py); readiness reports not-ready while the data
volume has less free space than ``QUIVER_MIN_FREE_BYTES`` (services/health/service.py).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
SQLITE_FULL = 13
PG_DISK_FULL = "53100"
MESSAGE = (
    "The server's storage is full: nothing was saved. Ask the server's administrator "
    "to free space, then try again."
)


def is_disk_full(err: BaseException) -> bool:
    """Whether ``err``, or an exception it was raised from, says the storage is full."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _says_full(current):
            return True
        orig = getattr(current, "orig", None)  # SQLAlchemy's DBAPIError wraps the driver's
        if isinstance(orig, BaseException) and _says_full(orig):
            return True
        current = current.__cause__ or current.__context__
    return False


def _says_full(err: BaseException) -> bool:
    if isinstance(err, OSError) and err.errno in FULL_ERRNOS:
        return True
    if getattr(err, "sqlite_errorcode", None) == SQLITE_FULL:
        return True
    if getattr(err, "sqlstate", None) == PG_DISK_FULL or getattr(err, "pgcode", None) == (
        PG_DISK_FULL
    ):
        return True
    return "database or disk is full" in str(err)


def free_bytes(path: Path) -> int:
    """Bytes an unprivileged writer may still use on the filesystem holding ``path``."""
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize


__all__ = ["MESSAGE", "free_bytes", "is_disk_full"]
