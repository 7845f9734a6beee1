"""Listing an S3 prefix: its objects and its unfinished multipart uploads, a page at a time.

Each function makes one blocking request (the store runs it in a worker thread) and returns
one page with the token for the next; keys come back relative to the store's prefix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC
from typing import TYPE_CHECKING, Any

from quiver.blobs.store import BlobInfo, PartialWrite

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

PAGE = 1000  # keys or uploads per request (S3's own maximum)


@dataclass(frozen=True)
class Page:
    """One page of a listing and where the next one starts (None: this was the last)."""

    blobs: list[BlobInfo] = field(default_factory=list)
    partial: list[PartialWrite] = field(default_factory=list)
    after: dict[str, str] | None = None


def objects_page(
    client: S3Client, bucket: str, prefix: str, start: str, after: dict[str, str] | None
) -> Page:
    """The objects whose keys start with ``prefix + start``, from the token in ``after``."""
    request: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix + start, "MaxKeys": PAGE}
    if after:
        request.update(after)
    answer = client.list_objects_v2(**request)
    blobs = [
        BlobInfo(
            key=item["Key"][len(prefix) :],
            size=int(item["Size"]),
            modified=item["LastModified"].astimezone(UTC),
        )
        for item in answer.get("Contents", [])
    ]
    token = answer.get("NextContinuationToken")
    more = answer.get("IsTruncated") and token
    return Page(blobs=blobs, after={"ContinuationToken": token} if more and token else None)


def uploads_page(client: S3Client, bucket: str, prefix: str, after: dict[str, str] | None) -> Page:
    """The multipart uploads under ``prefix`` that were started and never completed."""
    request: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxUploads": PAGE}
    if after:
        request.update(after)
    answer = client.list_multipart_uploads(**request)
    partial = [
        PartialWrite(
            path=item["Key"][len(prefix) :],
            started=item["Initiated"].astimezone(UTC),
            upload_id=item["UploadId"],
        )
        for item in answer.get("Uploads", [])
    ]
    following: dict[str, str] | None = None
    if answer.get("IsTruncated"):
        following = {
            "KeyMarker": answer.get("NextKeyMarker", ""),
            "UploadIdMarker": answer.get("NextUploadIdMarker", ""),
        }
    return Page(partial=partial, after=following)
