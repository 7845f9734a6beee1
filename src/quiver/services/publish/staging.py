"""Staging an incoming file: written to a temporary file while hashed, size-bounded."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from quiver.domain.errors import Invalid, StorageFull
from quiver.privatefs import private_dirs
from quiver.services.diskfull import FULL_ERRNOS
from quiver.services.diskfull import MESSAGE as DISK_FULL


@dataclass(frozen=True)
class StagedFile:
    """A received file on local disk with the digests of its bytes."""

    path: Path
    filename: str
    size: int
    sha256: str
    md5: str
    blake2_256: str

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


class Stager:
    """Writes chunks to a temporary file in ``directory`` while hashing them.

    Memory stays flat whatever the size. Past ``limit`` bytes the data is no
    longer written (the caller keeps reading the body so the client sees the
    answer) and ``finish`` raises Invalid; when the disk fills up, the file is
    removed at once, likewise, and ``finish`` raises StorageFull (507).
    """

    def __init__(self, directory: Path, filename: str, limit: int) -> None:
        private_dirs(directory)
        fd, name = tempfile.mkstemp(dir=directory, prefix="upload-", suffix=".part")  # 0600
        self._file = os.fdopen(fd, "wb")
        self.path = Path(name)
        self.filename = filename
        self.limit = limit
        self.size = 0
        self._full = False
        self._sha256 = hashlib.sha256()
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._blake2 = hashlib.blake2b(digest_size=32)

    @property
    def over_limit(self) -> bool:
        return self.size > self.limit

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.over_limit or self._full:
            return
        try:
            self._file.write(data)
        except OSError as err:
            if err.errno not in FULL_ERRNOS:
                raise
            # The disk is full: keep reading (the client then sees the 507), keep nothing.
            self._full = True
            self.discard()
            return
        self._sha256.update(data)
        self._md5.update(data)
        self._blake2.update(data)

    def finish(self) -> StagedFile:
        """Close the file and return it; raises Invalid (and removes it) when over the limit.

        The bytes are synced to disk first: its blob must outlive a crash once its row is
        committed.
        """
        if not self.over_limit and not self._full:
            try:
                self._file.flush()
                os.fsync(self._file.fileno())
            except OSError as err:
                self.discard()
                if err.errno not in FULL_ERRNOS:
                    raise
                self._full = True
        if self._full:
            self.discard()
            raise StorageFull(DISK_FULL)
        self._file.close()
        if self.over_limit:
            self.discard()
            raise Invalid(
                f"File too large: {self.filename} is over the limit of {self.limit} bytes."
            )
        return StagedFile(
            path=self.path,
            filename=self.filename,
            size=self.size,
            sha256=self._sha256.hexdigest(),
            md5=self._md5.hexdigest(),
            blake2_256=self._blake2.hexdigest(),
        )

    def discard(self) -> None:
        if not self._file.closed:
            # Closing flushes the buffer, which fails again on a full disk; it closes anyway.
            with contextlib.suppress(OSError):
                self._file.close()
        self.path.unlink(missing_ok=True)
