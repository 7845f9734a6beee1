"""``open_blob_store(settings)``: the store ``QUIVER_STORAGE_URL`` names, checked."""

from __future__ import annotations

from typing import TYPE_CHECKING

from quiver.blobs.filesystem import FilesystemBlobStore
from quiver.blobs.location import FileLocation, parse_storage_url
from quiver.blobs.store import BlobStore

if TYPE_CHECKING:
    from quiver.settings import Settings


async def open_blob_store(settings: Settings) -> BlobStore:
    """The configured store; for S3, BlobStoreError unless the bucket can be reached.

    Without ``storage_url`` blobs live under ``data_dir/blobs``.
    """
    if settings.storage_url is None:
        return FilesystemBlobStore(settings.blob_dir)
    location = parse_storage_url(settings.storage_url)
    if isinstance(location, FileLocation):
        return FilesystemBlobStore(location.root)
    # imported here: boto3 takes a while to import, and only S3 set-ups need it
    from quiver.blobs.s3 import S3BlobStore, S3Options

    options = S3Options(
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        addressing_style=settings.s3_addressing_style,
        multipart_threshold=settings.s3_multipart_threshold,
        multipart_chunk=settings.s3_multipart_chunk,
    )
    store = S3BlobStore(location.bucket, location.prefix, options)
    await store.check()
    return store
