"""Blob store on a local directory; files go out with sendfile."""

from __future__ import annotations

import asyncio
import errno
import os
import shutil
import tempfile
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

from quiver.blobs.store import BlobInfo, PartialWrite
from quiver.privatefs import private_dirs

CHUNK = 256 * 1024
PARTIAL = ".tmp-"  # the name of a file still being written (put_bytes)


class FilesystemBlobStore:
    """Blobs under ``root``; writes land in a temporary file and are renamed in place."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        private_dirs(self.root)  # 0700 directories; files come from mkstemp, 0600

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError("blob key escapes the store")
        return path

    async def put_file(self, key: str, source: Path) -> None:
        await asyncio.to_thread(self._put_file, key, source)

    def _put_file(self, key: str, source: Path) -> None:
        """Rename ``source`` in (copied first when it is on another filesystem), durably.

        The caller's staged file was synced to disk; syncing the directory after the rename
        makes the blob survive a power loss before its row is committed.
        """
        target = self._path(key)
        private_dirs(target.parent)
        try:
            os.replace(source, target)
        except OSError as err:
            if err.errno != errno.EXDEV:
                raise
            self._copy_in(source, target)
            source.unlink(missing_ok=True)
        _sync_directory(target.parent)

    def _copy_in(self, source: Path, target: Path) -> None:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=PARTIAL)
        try:
            with os.fdopen(fd, "wb") as handle, source.open("rb") as reader:
                shutil.copyfileobj(reader, handle, CHUNK)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    async def put_bytes(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._put_bytes, key, data)

    def _put_bytes(self, key: str, data: bytes) -> None:
        target = self._path(key)
        private_dirs(target.parent)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=PARTIAL)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    async def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def local_path(self, key: str) -> Path | None:
        return self._path(key)

    async def iter_bytes(
        self, key: str, start: int = 0, end: int | None = None
    ) -> AsyncGenerator[bytes, None]:
        with self._path(key).open("rb") as handle:
            handle.seek(start)
            remaining = None if end is None else end - start
            while remaining is None or remaining > 0:
                size = CHUNK if remaining is None else min(CHUNK, remaining)
                chunk = await asyncio.to_thread(handle.read, size)
                if not chunk:
                    return
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    async def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    async def stat(self, key: str) -> BlobInfo | None:
        path = self._path(key)
        try:
            status = await asyncio.to_thread(path.stat)
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not path.is_file():
            return None
        return BlobInfo(key, status.st_size, _when(status.st_mtime))

    async def iter_blobs(self, prefix: str = "") -> AsyncIterator[BlobInfo]:
        """The files under the directory of ``prefix``, one top-level directory at a time."""
        base = prefix.rpartition("/")[0]
        start = self._path(base) if base else self.root
        if not start.is_dir():
            return
        for top in await asyncio.to_thread(_entries, start):
            found = await asyncio.to_thread(self._scan, top, prefix, partial=False)
            for path, status in found:
                yield BlobInfo(self._key_of(path), status.st_size, _when(status.st_mtime))

    async def iter_partial_writes(self) -> AsyncIterator[PartialWrite]:
        """Temporary files of writes that have not finished (``.tmp-*``)."""
        for top in await asyncio.to_thread(_entries, self.root):
            found = await asyncio.to_thread(self._scan, top, "", partial=True)
            for path, status in found:
                yield PartialWrite(self._key_of(path), _when(status.st_mtime))

    async def discard_partial_write(self, partial: PartialWrite) -> None:
        path = self._path(partial.path)
        if path.name.startswith(PARTIAL):
            path.unlink(missing_ok=True)

    def _key_of(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def _scan(self, top: Path, prefix: str, *, partial: bool) -> list[tuple[Path, os.stat_result]]:
        """Files under ``top`` whose keys start with ``prefix``: the partial ones or the rest."""
        found = []
        for path in _files(top):
            if path.name.startswith(PARTIAL) != partial:
                continue
            if prefix and not self._key_of(path).startswith(prefix):
                continue
            try:
                found.append((path, path.stat()))
            except FileNotFoundError:  # removed meanwhile
                continue
        return found


def _entries(directory: Path) -> list[Path]:
    return sorted(directory.iterdir())


def _files(top: Path) -> Iterator[Path]:
    """``top`` when it is a file, else every file below it."""
    if top.is_file():
        yield top
        return
    for folder, _dirs, names in os.walk(top):
        for name in names:
            yield Path(folder, name)


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _when(mtime: float) -> datetime:
    return datetime.fromtimestamp(mtime, UTC)
