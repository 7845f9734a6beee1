"""Downloads of files a feed shows from its upstream sources but has not saved yet.

A download by someone allowed to save streams the upstream's bytes through
while saving them (``quiver.services.upstreams.save``); ``.metadata`` of an
upstream wheel is served from the upstream, checked against its hash.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import Request, Response
from fastapi.responses import StreamingResponse

from quiver.api.index_files import (
    METADATA_SUFFIX,
    METADATA_TYPE,
    count_download,
    file_cache_control,
    media_type,
)
from quiver.domain.errors import NotFound
from quiver.services.access import role_on
from quiver.services.changes.records import Actor
from quiver.services.context import Context
from quiver.services.records import FeedInfo, Principal
from quiver.services.upstreams.records import RemoteSource
from quiver.services.upstreams.service import (
    merged_package,
    open_remote,
    remote_metadata,
    require_save_right,
    stream_and_save,
)


async def send_upstream_file(
    request: Request,
    ctx: Context,
    principal: Principal,
    feed: FeedInfo,
    normalized: str,
    filename: str,
) -> Response:
    """Answer a download of a file (or its ``.metadata``) that only an upstream holds."""
    is_metadata = filename.endswith(METADATA_SUFFIX)
    dist = filename.removesuffix(METADATA_SUFFIX) if is_metadata else filename
    source = (await merged_package(ctx, feed, normalized)).remote_files.get(dist)
    if source is None or (is_metadata and not source.record.has_metadata):
        raise NotFound(f"File {filename} does not exist in package {normalized}.")
    if is_metadata:
        data = await remote_metadata(ctx, source)
        headers = _headers(feed, filename, source.record.metadata_sha256)
        return Response(data, media_type=METADATA_TYPE, headers=headers)
    role = await role_on(ctx, principal, feed)
    require_save_right(feed, role, principal.authenticated)
    return await _stream(request, ctx, feed, source, Actor.of(principal))


async def _stream(
    request: Request, ctx: Context, feed: FeedInfo, source: RemoteSource, actor: Actor
) -> Response:
    headers = _headers(feed, source.record.filename, source.record.sha256)
    headers["Content-Disposition"] = f'attachment; filename="{source.record.filename}"'
    if source.record.size is not None:
        headers["Content-Length"] = str(source.record.size)
    content_type = media_type(source.record.filename)
    if request.method == "HEAD":
        return Response(status_code=200, headers=headers, media_type=content_type)
    # Open before answering, so an upstream that fails now is a 502, not a cut body.
    stack = contextlib.AsyncExitStack()
    chunks = await stack.enter_async_context(open_remote(ctx, source))

    async def body() -> AsyncIterator[bytes]:
        async with stack:
            async for chunk in stream_and_save(ctx, feed, source, chunks, actor):
                yield chunk
        # Counted once every byte went out (and the file is saved, so the flush finds it).
        count_download(request, ctx, feed, source.record.filename, source.record.size)

    return StreamingResponse(body(), headers=headers, media_type=content_type)


def _headers(feed: FeedInfo, filename: str, sha256: str | None) -> dict[str, str]:
    headers = {
        "Cache-Control": file_cache_control(feed),
        "X-Content-Type-Options": "nosniff",
    }
    if sha256:
        headers["ETag"] = f'"{sha256}"'
    return headers
