"""Digests of files on local disk, read in chunks (memory stays flat whatever the size).

Beside ``quiver.privatefs``, below every layer: the CLI (``quiver publish``) and the
server (backups) both hash files, and ``quiver.domain`` does no I/O.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

#: How much of a file is read at a time.
CHUNK = 1024 * 1024


def file_sha256(path: Path) -> str:
    """The sha256 (hex) of the file at ``path``."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


__all__ = ["CHUNK", "file_sha256"]
