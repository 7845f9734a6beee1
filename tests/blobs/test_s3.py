"""What the S3 store does beyond the shared contract: where keys go, multipart uploads,
presigned URLs, the startup check and its errors (on moto's server, on loopback)."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from quiver.blobs import BlobStoreError, blob_key, open_blob_store
from quiver.blobs.s3 import S3BlobStore, S3Options
from quiver.settings import Settings
from tests.support.ports import free_port
from tests.support.s3 import S3_ENV, S3Server

MIB = 1024 * 1024
KEY = blob_key("cd" * 32, "demo-1.0.tar.gz")


def options(server: S3Server) -> S3Options:
    return S3Options(
        endpoint_url=server.endpoint_url, multipart_threshold=5 * MIB, multipart_chunk=5 * MIB
    )


@pytest.fixture
def bucket(s3: S3Server) -> str:
    return s3.create_bucket()


async def test_keys_live_under_the_prefix(s3: S3Server, bucket: str) -> None:
    store = S3BlobStore(bucket, "team/blobs/", options(s3))
    await store.put_bytes(KEY, b"data")
    assert s3.keys(bucket) == [f"team/blobs/{KEY}"]


async def test_large_files_go_up_in_parts(s3: S3Server, bucket: str, tmp_path: Path) -> None:
    store = S3BlobStore(bucket, "", options(s3))
    big, small = tmp_path / "big", tmp_path / "small"
    big.write_bytes(os.urandom(12 * MIB))
    small.write_bytes(os.urandom(4 * MIB))
    await store.put_file("big", big)
    await store.put_file("small", small)
    client = s3.client()
    # a multipart upload's ETag is "<md5 of the parts' md5s>-<number of parts>"
    assert client.head_object(Bucket=bucket, Key="big")["ETag"].endswith('-3"')
    assert "-" not in client.head_object(Bucket=bucket, Key="small")["ETag"]


async def test_presigned_url_sends_the_blob_as_an_attachment(s3: S3Server, bucket: str) -> None:
    store = S3BlobStore(bucket, "p/", options(s3))
    await store.put_bytes(KEY, b"sdist bytes")
    url = await store.presigned_url(KEY, "demo-1.0.tar.gz", 60, "application/gzip")
    assert url.startswith(f"{s3.endpoint_url}/{bucket}/p/")
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=60" in url
    response = httpx.get(url)
    assert response.status_code == 200
    assert response.content == b"sdist bytes"
    assert response.headers["content-disposition"] == 'attachment; filename="demo-1.0.tar.gz"'
    assert response.headers["content-type"] == "application/gzip"
    # a Range request on the same URL works too (uv and pip may send one)
    ranged = httpx.get(url, headers={"Range": "bytes=0-4"})
    assert (ranged.status_code, ranged.content) == (206, b"sdist")


async def test_check_accepts_a_reachable_bucket(s3: S3Server, bucket: str) -> None:
    await S3BlobStore(bucket, "", options(s3)).check()


async def test_check_names_a_missing_bucket(s3: S3Server) -> None:
    with pytest.raises(BlobStoreError) as caught:
        await S3BlobStore("no-such-bucket", "", options(s3)).check()
    assert str(caught.value) == (
        f"The bucket s3://no-such-bucket at {s3.endpoint_url} does not exist; "
        "create it first (Quiver does not create buckets)."
    )


async def test_unreachable_endpoint_is_one_line_without_secrets(s3: S3Server) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    store = S3BlobStore("bucket", "", S3Options(endpoint_url=nowhere))
    for attempt in (store.check(), store.put_bytes(KEY, b"x"), store.exists(KEY)):
        with pytest.raises(BlobStoreError) as caught:
            await attempt
        message = str(caught.value)
        assert "\n" not in message
        assert f"cannot connect to {nowhere}" in message, message
        assert S3_ENV["AWS_SECRET_ACCESS_KEY"] not in message
        assert S3_ENV["AWS_ACCESS_KEY_ID"] not in message


async def test_open_blob_store_follows_the_storage_url(
    s3: S3Server, bucket: str, tmp_path: Path
) -> None:
    default = await open_blob_store(Settings(data_dir=tmp_path / "data"))
    assert default.local_path("k") == (tmp_path / "data" / "blobs" / "k").resolve()
    elsewhere = tmp_path / "elsewhere"
    local = await open_blob_store(Settings(storage_url=f"file://{elsewhere}"))
    assert local.local_path("k") == elsewhere.resolve() / "k"
    remote = await open_blob_store(
        Settings(storage_url=f"s3://{bucket}/a/b", s3_endpoint_url=s3.endpoint_url)
    )
    assert isinstance(remote, S3BlobStore)
    assert (remote.bucket, remote.prefix, remote.local_path("k")) == (bucket, "a/b/", None)
    with pytest.raises(BlobStoreError, match="does not exist"):
        await open_blob_store(
            Settings(storage_url="s3://missing-bucket", s3_endpoint_url=s3.endpoint_url)
        )


async def test_unfinished_multipart_uploads_are_partial_writes(s3: S3Server, bucket: str) -> None:
    """A writer that dies mid-upload leaves an invisible multipart upload; it can be aborted."""
    store = S3BlobStore(bucket, "team/", options(s3))
    client = s3.client()
    started = client.create_multipart_upload(Bucket=bucket, Key=f"team/{KEY}")
    client.upload_part(
        Bucket=bucket, Key=f"team/{KEY}", UploadId=started["UploadId"], PartNumber=1, Body=b"x"
    )
    client.create_multipart_upload(Bucket=bucket, Key="elsewhere/other")  # not the store's
    partial = [write async for write in store.iter_partial_writes()]
    assert [(write.path, write.upload_id) for write in partial] == [(KEY, started["UploadId"])]
    assert [blob async for blob in store.iter_blobs()] == []
    await store.discard_partial_write(partial[0])
    await store.discard_partial_write(partial[0])  # gone already: not an error
    assert [write async for write in store.iter_partial_writes()] == []
