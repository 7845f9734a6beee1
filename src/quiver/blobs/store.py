"""The contract every blob store keeps."""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol, runtime_checkable


class BlobStoreError(Exception):
    """The store could not do what was asked; ``str(err)`` is one line, without secrets."""


def blob_key(sha256: str, filename: str) -> str:
    """Content-addressed key: ``sha256[:2]/sha256[2:4]/sha256/filename``."""
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}/{filename}"


_BLOB_KEY = re.compile(r"([0-9a-f]{2})/([0-9a-f]{2})/(\1\2[0-9a-f]{60})/[^/]+")


def is_blob_key(key: str) -> bool:
    """Whether ``key`` has the shape of :func:`blob_key` (anything else is not Quiver's)."""
    return _BLOB_KEY.fullmatch(key) is not None


@dataclass(frozen=True)
class BlobInfo:
    """A stored blob: its key, its size in bytes and when it was last written (aware, UTC)."""

    key: str
    size: int
    modified: datetime


@dataclass(frozen=True)
class PartialWrite:
    """A write that never finished (its writer died): invisible to readers, taking space.

    ``path`` is where it lies, relative to the store (a temporary file's path, or the key of
    an unfinished multipart upload, whose ``upload_id`` then names it).
    """

    path: str
    started: datetime
    upload_id: str = ""


class BlobStore(Protocol):
    """Where file bytes live. Keys are written once and never change."""

    async def put_file(self, key: str, source: Path) -> None:
        """Move the finished file at ``source`` under ``key`` (atomically visible)."""

    async def put_bytes(self, key: str, data: bytes) -> None:
        """Store small ``data`` under ``key`` (atomically visible)."""

    async def exists(self, key: str) -> bool:
        """Whether ``key`` holds a blob."""

    def local_path(self, key: str) -> Path | None:
        """A path the server may send with sendfile, when the store is local."""

    def iter_bytes(
        self, key: str, start: int = 0, end: int | None = None
    ) -> AsyncGenerator[bytes, None]:
        """Stream the bytes ``[start, end)`` of the blob; FileNotFoundError when missing."""

    async def delete(self, key: str) -> None:
        """Remove ``key``; removing a missing key is not an error."""

    async def stat(self, key: str) -> BlobInfo | None:
        """Size and last write of ``key``; None when it holds no blob."""

    def iter_blobs(self, prefix: str = "") -> AsyncIterator[BlobInfo]:
        """Every blob whose key starts with ``prefix``, in no particular order.

        Writes still under way or abandoned (see ``iter_partial_writes``) are not blobs.
        """

    def iter_partial_writes(self) -> AsyncIterator[PartialWrite]:
        """Writes that have not finished: under way, or abandoned by a writer that died."""

    async def discard_partial_write(self, partial: PartialWrite) -> None:
        """Remove what ``partial`` wrote so far; gone already is not an error."""


@runtime_checkable
class PresignedDownloads(Protocol):
    """A store whose blobs clients may fetch themselves, from a short-lived signed URL."""

    async def presigned_url(
        self, key: str, filename: str, expires_seconds: int, content_type: str | None = None
    ) -> str:
        """A URL that sends the blob as an attachment named ``filename`` for a while."""
