"""Where blobs live, from ``QUIVER_STORAGE_URL``: ``file:///path`` or ``s3://bucket/prefix``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

# Bucket names of S3 and of the compatible stores (MinIO, Ceph RGW, R2), loosely: the
# server has the last word, this only keeps out what could never be a bucket.
_BUCKET = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]")
USAGE = "use s3://BUCKET[/PREFIX] or file:///ABSOLUTE/PATH"


@dataclass(frozen=True)
class FileLocation:
    """Blobs in a local directory."""

    root: Path


@dataclass(frozen=True)
class S3Location:
    """Blobs in ``bucket`` under ``prefix`` (empty, or ending in ``/``)."""

    bucket: str
    prefix: str

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


def parse_storage_url(url: str) -> FileLocation | S3Location:
    """The location ``url`` names; ValueError with a one-line reason otherwise."""
    parts = urlsplit(url.strip())
    if parts.query or parts.fragment:
        raise ValueError(f"a storage URL takes no query or fragment; {USAGE}")
    if parts.username is not None or parts.password is not None:
        raise ValueError(
            "a storage URL takes no credentials (use AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY or another standard AWS credential source)"
        )
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise ValueError(f"a file storage URL needs an absolute path; {USAGE}")
        return FileLocation(Path(unquote(parts.path)))
    if parts.scheme == "s3":
        return S3Location(_bucket(parts.netloc), _prefix(parts.path))
    if not parts.scheme:
        raise ValueError(f"{url!r} is not a URL; {USAGE}")
    raise ValueError(f"unknown storage URL scheme {parts.scheme!r}; {USAGE}")


def _bucket(name: str) -> str:
    if not _BUCKET.fullmatch(name):
        raise ValueError(f"{name!r} is not a bucket name; {USAGE}")
    return name


def _prefix(path: str) -> str:
    segments = [segment for segment in unquote(path).split("/") if segment]
    if any(segment in (".", "..") for segment in segments):
        raise ValueError("a storage URL's prefix may not contain '.' or '..' segments")
    return "".join(segment + "/" for segment in segments)
