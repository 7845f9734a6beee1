"""Sending a blob that is not on this machine's disk (S3 and compatible stores).

A GET is either streamed through the server from ``BlobStore.iter_bytes`` (the
default) or, with ``QUIVER_S3_PRESIGNED_DOWNLOADS``, answered with ``307`` to a
presigned URL valid for ``QUIVER_S3_PRESIGN_SECONDS``: the client then fetches
the same bytes from the store itself (the redirect is never cached, the URL
expires). HEAD, ``Range`` and ``If-Range`` are answered by the server from the
database's record of the file either way; a streamed ``Range`` gives 206.

The first chunk is read before the status line is sent, so a missing blob is a
500 and an unreachable store a 503, each with a one-line message.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from fastapi import Request, Response
from fastapi.responses import RedirectResponse, StreamingResponse

from quiver.api.errors import error_response
from quiver.api.ranges import Unsatisfiable, byte_ranges
from quiver.blobs import BlobStoreError, PresignedDownloads
from quiver.services.context import Context

log = logging.getLogger("quiver.api")


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """``[start, end)`` of a single-range request; None to send the whole file.

    Raises ``Unsatisfiable`` (416) when no range overlaps the file. Malformed headers
    are ignored as RFC 9110 asks (``quiver.api.ranges``), and so are several ranges:
    the whole file is a valid answer to those.
    """
    spans = byte_ranges(header, size)
    if spans is None or len(spans) != 1:
        return None
    return spans[0]


def missing_blob(filename: str, key: str) -> Response:
    log.error("blob %s of %s is missing from the blob store", key, filename)
    return error_response(500, f"The content of {filename} is missing from storage.")


def store_unavailable(filename: str, err: BlobStoreError) -> Response:
    log.error("cannot send %s: %s", filename, err)
    return error_response(503, f"The storage holding {filename} cannot be reached; try again.")


async def send_stored(
    request: Request,
    ctx: Context,
    key: str,
    size: int,
    filename: str,
    content_type: str,
    headers: dict[str, str],
) -> Response:
    """Redirect to a presigned URL (when set up and the store can), else stream."""
    store = ctx.blobs
    if (
        request.method == "GET"
        and ctx.settings.s3_presigned_downloads
        and isinstance(store, PresignedDownloads)
    ):
        try:
            url = await store.presigned_url(
                key, filename, ctx.settings.s3_presign_seconds, content_type
            )
        except BlobStoreError as err:
            return store_unavailable(filename, err)
        return RedirectResponse(
            url,
            status_code=307,
            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        )
    return await _stream(request, ctx, key, size, filename, content_type, headers)


async def _stream(
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
        except Unsatisfiable:
            return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})
        if span is not None:
            start, end = span
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    headers["Content-Length"] = str(end - start)
    if request.method == "HEAD" or start == end:
        return Response(status_code=status, headers=headers)
    chunks = ctx.blobs.iter_bytes(key, start, end)
    try:
        first = await anext(chunks, b"")
    except FileNotFoundError:
        return missing_blob(filename, key)
    except BlobStoreError as err:
        return store_unavailable(filename, err)

    async def body() -> AsyncIterator[bytes]:
        try:
            yield first
            async for chunk in chunks:
                yield chunk
        finally:
            await chunks.aclose()

    return StreamingResponse(body(), status_code=status, headers=headers)
