"""The contract every blob store keeps."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol


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

    def iter_bytes(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """Stream the bytes ``[start, end)`` of the blob."""

    async def delete(self, key: str) -> None:
        """Remove ``key``; removing a missing key is not an error."""
