"""One contract for every blob store: the filesystem store and the S3 store (on moto's server).

Each test runs once per store. The S3 runs talk to a real S3-protocol server started as a
separate process on loopback (``tests.support.s3``), with multipart uploads from 5 MiB on.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from quiver.blobs import BlobStore, FilesystemBlobStore, blob_key, s3_listing
from quiver.blobs.s3 import S3BlobStore, S3Options
from tests.support.s3 import S3Server

MIB = 1024 * 1024
DATA = bytes(range(256)) * 41  # 10 496 bytes, every byte value
KEY = blob_key("ab" * 32, "demo-1.0-py3-none-any.whl")

MakeStore = Callable[[str], BlobStore]


def s3_options(server: S3Server) -> S3Options:
    return S3Options(
        endpoint_url=server.endpoint_url, multipart_threshold=5 * MIB, multipart_chunk=5 * MIB
    )


@pytest.fixture(params=["filesystem", "s3"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> MakeStore:
    """Stores by name: each name is a directory, or a prefix in one fresh bucket."""
    if request.param == "filesystem":
        return lambda name: FilesystemBlobStore(tmp_path / name)
    server: S3Server = request.getfixturevalue("s3")
    bucket = server.create_bucket()
    return lambda name: S3BlobStore(bucket, f"{name}/", s3_options(server))


@pytest.fixture
def store(make_store: MakeStore) -> BlobStore:
    return make_store("main")


async def read(store: BlobStore, key: str, start: int = 0, end: int | None = None) -> bytes:
    return b"".join([chunk async for chunk in store.iter_bytes(key, start, end)])


async def test_put_bytes_then_read(store: BlobStore) -> None:
    assert not await store.exists(KEY)
    await store.put_bytes(KEY, DATA)
    assert await store.exists(KEY)
    assert await read(store, KEY) == DATA


async def test_put_file_moves_the_file_in(store: BlobStore, tmp_path: Path) -> None:
    source = tmp_path / "staged.whl"
    source.write_bytes(DATA)
    await store.put_file(KEY, source)
    assert not source.exists()
    assert await read(store, KEY) == DATA


@pytest.mark.parametrize(
    ("start", "end"),
    [(0, 1), (0, len(DATA)), (100, 200), (len(DATA) - 1, len(DATA)), (5000, None), (7, 7)],
)
async def test_ranges(store: BlobStore, start: int, end: int | None) -> None:
    await store.put_bytes(KEY, DATA)
    assert await read(store, KEY, start, end) == DATA[start:end]


async def test_a_range_past_the_end_stops_at_the_end(store: BlobStore) -> None:
    await store.put_bytes(KEY, DATA)
    assert await read(store, KEY, len(DATA) - 10, len(DATA) + 1000) == DATA[-10:]
    assert await read(store, KEY, len(DATA) + 5, len(DATA) + 10) == b""


async def test_empty_blob(store: BlobStore) -> None:
    await store.put_bytes(KEY, b"")
    assert await store.exists(KEY)
    assert await read(store, KEY) == b""


async def test_missing_key(store: BlobStore) -> None:
    assert not await store.exists(KEY)
    with pytest.raises(FileNotFoundError):
        await read(store, KEY)
    with pytest.raises(FileNotFoundError):
        await read(store, KEY, 0, 10)
    await store.delete(KEY)  # not an error


async def test_delete(store: BlobStore) -> None:
    await store.put_bytes(KEY, DATA)
    await store.delete(KEY)
    assert not await store.exists(KEY)
    with pytest.raises(FileNotFoundError):
        await read(store, KEY)


async def test_writing_the_same_key_again_keeps_one_blob(store: BlobStore) -> None:
    await store.put_bytes(KEY, DATA)
    await store.put_bytes(KEY, DATA)
    assert await read(store, KEY) == DATA


async def test_keys_cannot_escape_the_store(store: BlobStore) -> None:
    for key in ("../outside", "a/../../outside", "/etc/passwd"):
        with pytest.raises(ValueError, match="escapes"):
            await store.put_bytes(key, DATA)


async def test_stores_are_isolated(make_store: MakeStore) -> None:
    first, second = make_store("first"), make_store("second")
    await first.put_bytes(KEY, b"first")
    assert not await second.exists(KEY)
    await second.put_bytes(KEY, b"second")
    assert await read(first, KEY) == b"first"
    await second.delete(KEY)
    assert await read(first, KEY) == b"first"


async def test_abandoned_streams_leave_the_store_usable(store: BlobStore) -> None:
    await store.put_bytes(KEY, DATA * 100)
    for _ in range(40):  # more than the connection pool holds
        chunks = store.iter_bytes(KEY)
        assert await anext(chunks)
        await chunks.aclose()
    assert await read(store, KEY, 3, 5) == (DATA * 100)[3:5]


async def test_large_file_streams_in_bounded_chunks(store: BlobStore, tmp_path: Path) -> None:
    """20 MiB: multipart on S3 (threshold 5 MiB); read back in chunks of at most 1 MiB."""
    data = os.urandom(20 * MIB)
    source = tmp_path / "big.whl"
    source.write_bytes(data)
    await store.put_file(KEY, source)
    digest, largest = hashlib.sha256(), 0
    async for chunk in store.iter_bytes(KEY):
        digest.update(chunk)
        largest = max(largest, len(chunk))
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()
    assert largest <= MIB
    # a range across the S3 store's 8 MiB request segments
    start, end = 8 * MIB - 100, 16 * MIB + 100
    assert await read(store, KEY, start, end) == data[start:end]


async def listing(store: BlobStore, prefix: str = "") -> dict[str, int]:
    return {blob.key: blob.size async for blob in store.iter_blobs(prefix)}


async def test_listing_every_blob(store: BlobStore) -> None:
    assert await listing(store) == {}
    keys = [blob_key(f"{digit}" * 64, "demo-1.0.tar.gz") for digit in "0123"]
    keys.append(blob_key("0" * 64, "demo-1.0.tar.gz.metadata"))
    for number, key in enumerate(keys):
        await store.put_bytes(key, DATA[:number])
    started = datetime.now(UTC) - timedelta(minutes=1)
    assert await listing(store) == {key: number for number, key in enumerate(keys)}
    async for blob in store.iter_blobs():
        assert started < blob.modified < started + timedelta(minutes=2)
    assert await listing(store, "00/") == {keys[0]: 0, keys[4]: 4}
    assert await listing(store, "1") == {keys[1]: 1}
    assert await listing(store, "9") == {}
    await store.delete(keys[0])
    assert keys[0] not in await listing(store)


async def test_stat(store: BlobStore, tmp_path: Path) -> None:
    assert await store.stat(KEY) is None
    source = tmp_path / "staged.whl"
    source.write_bytes(DATA)
    await store.put_file(KEY, source)
    info = await store.stat(KEY)
    assert info is not None
    assert (info.key, info.size) == (KEY, len(DATA))
    assert abs(info.modified - datetime.now(UTC)) < timedelta(minutes=1)


async def test_listing_takes_several_pages(
    store: BlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(s3_listing, "PAGE", 2)
    keys = {blob_key(f"{digit:02d}" * 32, "demo.whl"): digit for digit in range(5)}
    for key, size in keys.items():
        await store.put_bytes(key, DATA[:size])
    assert await listing(store) == keys


async def test_finished_writes_leave_no_partial_write(store: BlobStore, tmp_path: Path) -> None:
    source = tmp_path / "big.whl"
    source.write_bytes(os.urandom(6 * MIB))  # multipart on S3
    await store.put_file(KEY, source)
    await store.put_bytes(KEY + ".metadata", DATA)
    assert [partial async for partial in store.iter_partial_writes()] == []
    assert set(await listing(store)) == {KEY, KEY + ".metadata"}
