"""Blob store on S3 or a compatible server (MinIO, Ceph RGW, Cloudflare R2), with boto3.

boto3 is blocking, so every call runs in a worker thread. Credentials come from boto3's
standard chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``, the shared
files, web identity, container and instance roles); Quiver never sees or logs them.

Large files go up as multipart uploads (boto3's managed transfer, above a threshold); a
multipart upload becomes visible only when it completes, so no reader sees part of a file.
Downloads read single ``Range`` GETs of at most :data:`SEGMENT` bytes each, in chunks, so a
blob is never held in memory whole and no S3 request stays open for a whole slow download.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from quiver.blobs.s3_errors import error_code, is_missing, is_past_end, s3_failure
from quiver.blobs.s3_listing import Page, objects_page, uploads_page
from quiver.blobs.store import BlobInfo, BlobStoreError, PartialWrite

if TYPE_CHECKING:
    from botocore.response import StreamingBody
    from mypy_boto3_s3 import S3Client

CHUNK = 256 * 1024
SEGMENT = 8 * 1024 * 1024
MIB = 1024 * 1024
T = TypeVar("T")
_session_lock = threading.Lock()
_sessions: list[boto3.session.Session] = []


@dataclass(frozen=True)
class S3Options:
    """How to reach the store and how to upload to it."""

    endpoint_url: str | None = None
    region: str | None = None
    addressing_style: Literal["auto", "path", "virtual"] = "auto"
    multipart_threshold: int = 16 * MIB
    multipart_chunk: int = 16 * MIB


def make_client(options: S3Options) -> S3Client:
    """A thread-safe S3 client; path-style requests on custom endpoints unless told."""
    style = options.addressing_style
    if style == "auto" and options.endpoint_url:
        style = "path"  # MinIO and Ceph answer virtual-hosted requests only when set up for them
    config = Config(
        region_name=options.region,
        signature_version="s3v4",
        s3={"addressing_style": style},
        retries={"mode": "standard", "max_attempts": 4},
        connect_timeout=5,
        read_timeout=60,
        max_pool_connections=32,
        # Checksums only where S3 requires them: several compatible servers refuse the
        # trailing CRC checksums that newer botocore sends by default.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    with _session_lock:  # sessions are not thread-safe; one keeps the loaded service models
        if not _sessions:
            _sessions.append(boto3.session.Session())
        return _sessions[0].client("s3", endpoint_url=options.endpoint_url, config=config)


class S3BlobStore:
    """Blobs under ``prefix`` (empty, or ending in ``/``) in ``bucket``."""

    def __init__(self, bucket: str, prefix: str = "", options: S3Options | None = None) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.options = options or S3Options()
        self._client = make_client(self.options)
        self._transfer = TransferConfig(
            multipart_threshold=self.options.multipart_threshold,
            multipart_chunksize=self.options.multipart_chunk,
            max_concurrency=4,
        )

    def __repr__(self) -> str:
        return f"S3BlobStore(s3://{self.bucket}/{self.prefix})"

    def _key(self, key: str) -> str:
        path = PurePosixPath(key)
        if not key or path.is_absolute() or ".." in path.parts or "." in key.split("/"):
            raise ValueError("blob key escapes the store")
        return self.prefix + key

    def _where(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"

    async def _call(self, action: str, target: str, call: Callable[..., T], /, **kwargs: Any) -> T:
        """``call(**kwargs)`` in a worker thread; S3 failures become BlobStoreError."""
        try:
            return await asyncio.to_thread(call, **kwargs)
        except (BotoCoreError, ClientError) as err:
            raise s3_failure(action, target, err) from None

    async def check(self) -> None:
        """Raise BlobStoreError unless the bucket exists and these credentials reach it."""
        where = f"s3://{self.bucket}"
        if self.options.endpoint_url:
            where += f" at {self.options.endpoint_url}"
        try:
            await asyncio.to_thread(self._client.head_bucket, Bucket=self.bucket)
        except ClientError as err:
            if is_missing(err):
                raise BlobStoreError(
                    f"The bucket {where} does not exist; create it first "
                    "(Quiver does not create buckets)."
                ) from None
            raise s3_failure("access to bucket", where, err) from None
        except BotoCoreError as err:
            raise s3_failure("access to bucket", where, err) from None

    async def put_file(self, key: str, source: Path) -> None:
        """Upload ``source`` (multipart when large), then remove it."""
        await self._call(
            "upload to",
            self._where(key),
            self._client.upload_file,
            Filename=str(source),
            Bucket=self.bucket,
            Key=self._key(key),
            Config=self._transfer,
        )
        await asyncio.to_thread(source.unlink, missing_ok=True)

    async def put_bytes(self, key: str, data: bytes) -> None:
        await self._call(
            "upload to",
            self._where(key),
            self._client.put_object,
            Bucket=self.bucket,
            Key=self._key(key),
            Body=data,
        )

    async def exists(self, key: str) -> bool:
        return await self.stat(key) is not None

    async def stat(self, key: str) -> BlobInfo | None:
        try:
            head = await asyncio.to_thread(
                self._client.head_object, Bucket=self.bucket, Key=self._key(key)
            )
        except ClientError as err:
            if is_missing(err):
                return None
            raise s3_failure("lookup of", self._where(key), err) from None
        except BotoCoreError as err:
            raise s3_failure("lookup of", self._where(key), err) from None
        return BlobInfo(key, int(head["ContentLength"]), head["LastModified"].astimezone(UTC))

    async def _size_or_none(self, key: str) -> int | None:
        info = await self.stat(key)
        return None if info is None else info.size

    async def iter_blobs(self, prefix: str = "") -> AsyncIterator[BlobInfo]:
        """The objects under the store's prefix and ``prefix``, a page of 1000 at a time."""
        where = f"s3://{self.bucket}/{self.prefix}{prefix}"
        after: dict[str, str] | None = None
        while True:
            page: Page = await self._call(
                "listing of",
                where,
                objects_page,
                client=self._client,
                bucket=self.bucket,
                prefix=self.prefix,
                start=prefix,
                after=after,
            )
            for blob in page.blobs:
                yield blob
            if page.after is None:
                return
            after = page.after

    async def iter_partial_writes(self) -> AsyncIterator[PartialWrite]:
        """Multipart uploads under the prefix that were started and never completed."""
        where = f"s3://{self.bucket}/{self.prefix}"
        after: dict[str, str] | None = None
        while True:
            page: Page = await self._call(
                "listing of uploads in",
                where,
                uploads_page,
                client=self._client,
                bucket=self.bucket,
                prefix=self.prefix,
                after=after,
            )
            for partial in page.partial:
                yield partial
            if page.after is None:
                return
            after = page.after

    async def discard_partial_write(self, partial: PartialWrite) -> None:
        """Abort the multipart upload, which frees the parts stored so far."""
        try:
            await asyncio.to_thread(
                self._client.abort_multipart_upload,
                Bucket=self.bucket,
                Key=self._key(partial.path),
                UploadId=partial.upload_id,
            )
        except ClientError as err:
            if not is_missing(err) and error_code(err) != "NoSuchUpload":
                raise s3_failure("abort of upload to", self._where(partial.path), err) from None
        except BotoCoreError as err:
            raise s3_failure("abort of upload to", self._where(partial.path), err) from None

    def local_path(self, key: str) -> Path | None:
        return None

    async def iter_bytes(
        self, key: str, start: int = 0, end: int | None = None
    ) -> AsyncGenerator[bytes, None]:
        """The bytes ``[start, end)``; FileNotFoundError when ``key`` holds no blob."""
        if end is None:
            end = await self._size_or_none(key)
            if end is None:
                raise FileNotFoundError(f"{self._where(key)} does not exist")
        position = start
        while position < end:
            stop = min(position + SEGMENT, end)
            body = await self._open_range(key, position, stop)
            if body is None:
                return
            try:
                async for chunk in self._read(key, body):
                    position += len(chunk)
                    yield chunk
            finally:
                body.close()
            if position < stop:  # the blob is shorter than asked for
                return

    async def _open_range(self, key: str, start: int, stop: int) -> StreamingBody | None:
        """The body of ``bytes=start-(stop-1)``; None when ``start`` is past the end."""
        try:
            answer = await asyncio.to_thread(
                self._client.get_object,
                Bucket=self.bucket,
                Key=self._key(key),
                Range=f"bytes={start}-{stop - 1}",
            )
        except ClientError as err:
            if is_missing(err):
                raise FileNotFoundError(f"{self._where(key)} does not exist") from None
            if is_past_end(err):
                return None
            raise s3_failure("download of", self._where(key), err) from None
        except BotoCoreError as err:
            raise s3_failure("download of", self._where(key), err) from None
        return answer["Body"]

    async def _read(self, key: str, body: StreamingBody) -> AsyncIterator[bytes]:
        while True:
            try:
                chunk = await asyncio.to_thread(body.read, CHUNK)
            except (BotoCoreError, ClientError) as err:
                raise s3_failure("download of", self._where(key), err) from None
            if not chunk:
                return
            yield chunk

    async def delete(self, key: str) -> None:
        try:
            await asyncio.to_thread(
                self._client.delete_object, Bucket=self.bucket, Key=self._key(key)
            )
        except ClientError as err:
            if not is_missing(err):
                raise s3_failure("removal of", self._where(key), err) from None
        except BotoCoreError as err:
            raise s3_failure("removal of", self._where(key), err) from None

    async def presigned_url(
        self, key: str, filename: str, expires_seconds: int, content_type: str | None = None
    ) -> str:
        """A GET URL valid for ``expires_seconds`` that sends the blob as ``filename``."""
        params = {
            "Bucket": self.bucket,
            "Key": self._key(key),
            "ResponseContentDisposition": f'attachment; filename="{filename}"',
        }
        if content_type:
            params["ResponseContentType"] = content_type
        return await self._call(
            "signing of",
            self._where(key),
            self._client.generate_presigned_url,
            ClientMethod="get_object",
            Params=params,
            ExpiresIn=expires_seconds,
        )
