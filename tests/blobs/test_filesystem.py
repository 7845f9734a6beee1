"""What the filesystem store does beyond the shared contract: partial writes on disk."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from quiver.blobs import FilesystemBlobStore, blob_key

KEY = blob_key("ef" * 32, "demo-1.0.tar.gz")


async def test_temporary_files_of_unfinished_writes_are_partial_writes(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path / "blobs")
    await store.put_bytes(KEY, b"done")
    leftover = tmp_path / "blobs" / "ef" / "ef" / ".tmp-abc123"  # put_bytes died midway
    leftover.write_bytes(b"half")
    partial = [write async for write in store.iter_partial_writes()]
    assert [write.path for write in partial] == ["ef/ef/.tmp-abc123"]
    assert [blob.key async for blob in store.iter_blobs()] == [KEY]
    await store.discard_partial_write(partial[0])
    assert not leftover.exists()
    assert [write async for write in store.iter_partial_writes()] == []
    assert await store.exists(KEY)


async def test_a_file_from_another_filesystem_is_copied_in(tmp_path: Path) -> None:
    """``QUIVER_STORAGE_URL=file:///elsewhere`` on another disk than ``data/tmp``."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("needs a second filesystem (/dev/shm)")
    with tempfile.TemporaryDirectory(dir=shm) as other:
        source = Path(other) / "upload.part"
        source.write_bytes(b"wheel bytes" * 1000)
        store = FilesystemBlobStore(tmp_path / "blobs")
        await store.put_file(KEY, source)
        assert not source.exists()
        assert b"".join([chunk async for chunk in store.iter_bytes(KEY)]) == b"wheel bytes" * 1000
        assert [write async for write in store.iter_partial_writes()] == []
