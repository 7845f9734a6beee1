"""Sending distribution files and their ``.metadata`` (PEP 658).

A file's bytes never change (a filename is never reused in a feed), so every
download carries ``ETag: "<sha256>"`` and ``Cache-Control: ..., max-age=31536000,
immutable`` (``public`` for public feeds, ``private`` otherwise), plus
``Accept-Ranges: bytes``; ``If-None-Match`` gives 304, HEAD gives the headers
alone, a single ``Range`` gives 206, an unsatisfiable one 416 and a malformed one
is ignored (the whole file, 200; ``quiver.api.ranges``). A GET of a
whole file (no ``Range``, not ``.metadata``, not 304) is counted in memory for
the file's download count (``quiver.services.index.downloads``).

Content types: ``.whl`` and ``.zip`` are ``application/zip``, ``.tar.gz`` is
``application/gzip`` (never ``Content-Encoding: gzip``, which would make clients
unpack the archive), and ``.metadata`` is ``text/plain; charset=utf-8``: core
metadata is UTF-8 RFC 822 text, and PEP 658 prescribes no type. Every file goes
out as an attachment with ``X-Content-Type-Options: nosniff``.

A local blob store sends with Starlette's FileResponse (sendfile where the
server has it; it implements HEAD, single and multiple ranges); any other store
is streamed through ``BlobStore.iter_bytes`` with single-range support, or
redirected to a presigned URL (``quiver.api.blob_stream``).
"""

from __future__ import annotations

import asyncio
import os

from fastapi import Request, Response

from quiver.api import metrics
from quiver.api.blob_stream import missing_blob, send_stored
from quiver.api.negotiation import etag_matches
from quiver.api.ranges import RangedFileResponse
from quiver.domain.errors import NotFound
from quiver.domain.roles import Visibility
from quiver.services.context import Context
from quiver.services.index.service import find_file
from quiver.services.records import FeedInfo

METADATA_SUFFIX = ".metadata"
METADATA_TYPE = "text/plain; charset=utf-8"


def media_type(filename: str) -> str:
    """The Content-Type a file is sent with (see the module docstring)."""
    if filename.endswith(METADATA_SUFFIX):
        return METADATA_TYPE
    if filename.endswith((".whl", ".zip")):
        return "application/zip"
    if filename.endswith((".tar.gz", ".tgz")):
        return "application/gzip"
    return "application/octet-stream"


def file_cache_control(feed: FeedInfo) -> str:
    scope = "public" if feed.visibility is Visibility.PUBLIC else "private"
    return f"{scope}, max-age=31536000, immutable"


async def send_file(
    request: Request,
    ctx: Context,
    feed: FeedInfo,
    normalized: str,
    filename: str,
    view_id: int | None = None,
) -> Response | None:
    """Answer a download of ``filename`` (or its ``.metadata``) of package ``normalized``.

    None when the feed itself (or the view ``view_id`` of it) does not hold the
    file (it may be upstream).
    """
    is_metadata = filename.endswith(METADATA_SUFFIX)
    dist = filename.removesuffix(METADATA_SUFFIX) if is_metadata else filename
    record = await find_file(ctx, feed, normalized, dist, view_id)
    if record is None:
        return None
    if is_metadata:
        if record.metadata_blob_key is None or record.metadata_sha256 is None:
            raise NotFound(f"File {filename} does not exist in package {normalized}.")
        key, sha256 = record.metadata_blob_key, record.metadata_sha256
        size = record.metadata_size
    else:
        assert record.blob_key is not None
        key, sha256, size = record.blob_key, record.sha256, record.size
    etag = f'"{sha256}"'
    headers = {
        "ETag": etag,
        "Cache-Control": file_cache_control(feed),
        "X-Content-Type-Options": "nosniff",
    }
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    headers["Accept-Ranges"] = "bytes"
    content_type = media_type(filename)
    path = ctx.blobs.local_path(key)
    if path is not None:
        try:
            stat = await asyncio.to_thread(os.stat, path)
        except FileNotFoundError:
            return missing_blob(filename, key)
        count_download(request, ctx, feed, filename, stat.st_size)
        return RangedFileResponse(
            path, headers=headers, media_type=content_type, filename=filename, stat_result=stat
        )
    if size is None:
        return missing_blob(filename, key)
    count_download(request, ctx, feed, filename, size)
    return await send_stored(request, ctx, key, size, filename, content_type, headers)


def count_download(
    request: Request, ctx: Context, feed: FeedInfo, filename: str, size: int | None = None
) -> None:
    """Count a download of the whole file (GET without ``Range``; never ``.metadata``).

    In memory only: ``quiver.services.index.downloads`` writes counts off the request
    path; ``/metrics`` counts the download and its ``size`` too.
    """
    if request.method != "GET" or "range" in request.headers:
        return
    if filename.endswith(METADATA_SUFFIX):
        return
    ctx.downloads.record(feed.id, filename)
    metrics.count_download(request, size)
