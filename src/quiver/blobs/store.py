"""The contract every blob store keeps."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Protocol, runtime_checkable


class BlobStoreError(Exception):
    """The store could not do what was asked; ``str(err)`` is one line, without secrets."""


def blob_key(sha256: str, filename: str) -> str:
    """Content-addressed key: ``sha256[:2]/sha256[2:4]/sha256/filename``."""
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}/{filename}"


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


@runtime_checkable
class PresignedDownloads(Protocol):
    """A store whose blobs clients may fetch themselves, from a short-lived signed URL."""

    async def presigned_url(
        self, key: str, filename: str, expires_seconds: int, content_type: str | None = None
    ) -> str:
        """A URL that sends the blob as an attachment named ``filename`` for a while."""
