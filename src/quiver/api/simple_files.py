"""Sending distribution files and their ``.metadata`` (PEP 658).

A file's bytes never change (a filename is never reused in a feed), so every
download carries ``ETag: "<sha256>"`` and ``Cache-Control: ..., max-age=31536000,
immutable`` (``public`` for public feeds, ``private`` otherwise), plus
``Accept-Ranges: bytes``; ``If-None-Match`` gives 304, HEAD gives the headers
alone, a single ``Range`` gives 206 and an unsatisfiable one 416.

Content types: ``.whl`` and ``.zip`` are ``application/zip``, ``.tar.gz`` is
``application/gzip`` (never ``Content-Encoding: gzip``, which would make clients
unpack the archive), and ``.metadata`` is ``text/plain; charset=utf-8``: core
metadata is UTF-8 RFC 822 text, and PEP 658 prescribes no type. Every file goes
out as an attachment with ``X-Content-Type-Options: nosniff``.

A local blob store sends with Starlette's FileResponse (sendfile where the
server has it; it implements HEAD, single and multiple ranges); any other store
is streamed through ``BlobStore.iter_bytes`` with single-range support.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import AsyncIterator

from fastapi import Request, Response
from fastapi.responses import FileResponse, StreamingResponse

from quiver.api.errors import error_response
from quiver.api.negotiation import etag_matches
from quiver.domain.roles import Visibility
from quiver.services.access import FeedInfo
from quiver.services.context import Context
from quiver.services.errors import NotFound
from quiver.services.packages.index import find_file

log = logging.getLogger("quiver.api")
METADATA_SUFFIX = ".metadata"
METADATA_TYPE = "text/plain; charset=utf-8"
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


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


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """``[start, end)`` of a single ``bytes=`` range; None to send the whole file.

    Raises ValueError when the range cannot be satisfied (416). Malformed headers
    and multiple ranges are ignored (RFC 9110 allows answering with the whole file).
    """
    match = _RANGE.match(header.strip().replace(" ", ""))
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # suffix: the last N bytes
        length = int(last)
        if length == 0:
            raise ValueError("empty suffix range")
        return (max(size - length, 0), size)
    start = int(first)
    end = size if not last else min(int(last) + 1, size)
    if last and int(last) < start:
        return None
    if start >= size:
        raise ValueError("range starts past the end")
    return (start, end)


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
            return _missing(filename, key)
        return FileResponse(
            path, headers=headers, media_type=content_type, filename=filename, stat_result=stat
        )
    if size is None:
        return _missing(filename, key)
    return _stream(request, ctx, key, size, filename, content_type, headers)


def _missing(filename: str, key: str) -> Response:
    log.error("blob %s of %s is missing from the blob store", key, filename)
    return error_response(500, f"The content of {filename} is missing from storage.")


def _stream(
    request: Request,
    ctx: Context,
    key: str,
    size: int,
    filename: str,
    content_type: str,
    headers: dict[str, str],
) -> Response:
    headers = {
        **headers,
        "Content-Type": content_type,
        "Content-Disposition": f'attachment; filename="{filename}"',
    }
    start, end, status = 0, size, 200
    wanted = request.headers.get("range")
    if_range = request.headers.get("if-range")
    if wanted and (if_range is None or if_range == headers["ETag"]):
        try:
            span = parse_range(wanted, size)
        except ValueError:
            return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})
        if span is not None:
            start, end = span
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    headers["Content-Length"] = str(end - start)
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers)

    async def body() -> AsyncIterator[bytes]:
        async for chunk in ctx.blobs.iter_bytes(key, start, end):
            yield chunk

    return StreamingResponse(body(), status_code=status, headers=headers)
