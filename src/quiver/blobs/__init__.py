"""Blob storage: content-addressed files on the local filesystem or in S3-compatible storage."""

from quiver.blobs.factory import open_blob_store
from quiver.blobs.filesystem import FilesystemBlobStore
from quiver.blobs.store import (
    BlobInfo,
    BlobStore,
    BlobStoreError,
    PartialWrite,
    PresignedDownloads,
    blob_key,
    is_blob_key,
)

__all__ = [
    "BlobInfo",
    "BlobStore",
    "BlobStoreError",
    "FilesystemBlobStore",
    "PartialWrite",
    "PresignedDownloads",
    "blob_key",
    "is_blob_key",
    "open_blob_store",
]
