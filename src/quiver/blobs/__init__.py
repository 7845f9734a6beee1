"""Blob storage: content-addressed files (filesystem now; S3 in a later issue)."""

from quiver.blobs.filesystem import FilesystemBlobStore
from quiver.blobs.store import BlobStore, blob_key

__all__ = ["BlobStore", "FilesystemBlobStore", "blob_key"]
