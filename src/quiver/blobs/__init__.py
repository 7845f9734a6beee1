"""Blob storage: content-addressed files on the local filesystem or in S3-compatible storage."""

from quiver.blobs.factory import open_blob_store
from quiver.blobs.filesystem import FilesystemBlobStore
from quiver.blobs.store import BlobStore, BlobStoreError, PresignedDownloads, blob_key

__all__ = [
    "BlobStore",
    "BlobStoreError",
    "FilesystemBlobStore",
    "PresignedDownloads",
    "blob_key",
    "open_blob_store",
]
