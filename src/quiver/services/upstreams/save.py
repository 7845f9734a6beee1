"""Saving a file that is only upstream: streamed to the caller while written and hashed.

``open_remote`` opens the bytes (an upstream index over HTTP, or another feed's
blob) before any response starts, so a failing upstream raises UpstreamError first.
``stream_and_save`` passes the chunks through to the caller while staging them;
when the last chunk is through, the sha256 must equal the one the upstream's
index named and the archive must pass the same rules as a publish; only then are
blob and rows stored (origin ``upstream``, with the upstream's name, the
source URL, its upload time and its yank state there). Anything else saves
nothing and is logged and counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace

import anyio
from sqlalchemy.exc import IntegrityError

from quiver.domain.distributions import parse_filename
from quiver.domain.errors import Forbidden, QuiverError, Unauthenticated, UpstreamError
from quiver.domain.roles import Role
from quiver.services.changes.record import SERVER, Actor
from quiver.services.context import Context
from quiver.services.publish.service import (
    ORIGIN_UPSTREAM,
    Provenance,
    StagedFile,
    Stager,
    check_distribution,
    forget_stored,
    record_file,
    store_blobs,
)
from quiver.services.records import FeedInfo
from quiver.services.recycle.service import VersionInBin
from quiver.services.unitofwork import unit_of_work
from quiver.services.upstreams.listing import index_source
from quiver.services.upstreams.records import RemoteSource

log = logging.getLogger("quiver.upstreams")
# files refused after download, by upstream name (for the metrics issue)
refused: Counter[str] = Counter()


def require_save_right(feed: FeedInfo, role: Role, authenticated: bool) -> None:
    """Collaborators and up save; readers only when the feed lets them."""
    if role >= Role.COLLABORATOR or (role >= Role.READER and feed.readers_can_save):
        return
    if not authenticated:
        raise Unauthenticated(f"Authentication required to save packages into feed {feed.ref}.")
    raise Forbidden(
        f"Only collaborators, contributors and owners of feed {feed.ref} can save packages "
        "from its upstream sources; ask a feed owner for the collaborator role."
    )


@contextlib.asynccontextmanager
async def open_remote(ctx: Context, source: RemoteSource) -> AsyncIterator[AsyncIterator[bytes]]:
    """The bytes of an upstream-only file; raises UpstreamError before yielding on failure."""
    if source.remote is not None:
        assert ctx.fetcher is not None
        async with ctx.fetcher.stream_file(
            index_source(source.upstream), source.remote.url
        ) as chunks:
            yield chunks
        return
    key = source.record.blob_key
    if key is None or not await ctx.blobs.exists(key):
        raise UpstreamError(f"{source.record.filename} is missing from {source.upstream.location}")
    yield ctx.blobs.iter_bytes(key)


async def stream_and_save(
    ctx: Context,
    feed: FeedInfo,
    source: RemoteSource,
    chunks: AsyncIterator[bytes],
    actor: Actor = SERVER,
) -> AsyncIterator[bytes]:
    """Yield ``chunks`` to the caller, saving the file before its last chunk goes out.

    The last chunk is held back until the save is done (shielded from cancellation):
    a client that hangs up the moment it has every byte would otherwise cancel the
    save, and one that got every byte finds the file saved.
    """
    filename = source.record.filename
    stager = Stager(ctx.settings.tmp_dir, filename, ctx.settings.max_upload_bytes)
    held: bytes | None = None
    try:
        async for chunk in chunks:
            if held is not None:
                yield held
            await asyncio.to_thread(stager.write, chunk)
            held = chunk
        staged = stager.finish()
    except BaseException:
        stager.discard()
        raise
    with anyio.CancelScope(shield=True):
        try:
            await save(ctx, feed, source, staged, actor)
        finally:
            staged.discard()
    if held is not None:
        yield held


async def save(
    ctx: Context, feed: FeedInfo, source: RemoteSource, staged: StagedFile, actor: Actor = SERVER
) -> bool:
    """Store ``staged`` as a saved copy in ``feed`` if it is what the upstream promised."""
    upstream = source.upstream.name
    if staged.sha256 != source.record.sha256:
        refused[upstream] += 1
        log.error(
            "not saving %s from upstream %s: its sha256 %s is not the %s the index named",
            staged.filename,
            upstream,
            staged.sha256,
            source.record.sha256,
        )
        return False
    try:
        checked = await check_distribution(ctx, staged, parse_filename(staged.filename))
    except QuiverError as err:
        refused[upstream] += 1
        log.error("not saving %s from upstream %s: %s", staged.filename, upstream, err)
        return False
    stored = await store_blobs(ctx, checked)
    provenance = Provenance(
        origin=ORIGIN_UPSTREAM,
        upstream_id=source.upstream.id,
        upstream_name=upstream,
        source_url=source.source_url,
        actor=actor,
        upstream_uploaded_at=source.record.uploaded_at,
        upstream_yanked=source.record.yanked,
        upstream_yanked_reason=source.record.yanked_reason,
    )
    # The blobs are stored before the rows' transaction: a row never names a missing
    # blob. A transaction that fails forgets them again (unless another row uses them).
    try:
        async with unit_of_work(ctx, actor) as work:
            await record_file(work.session, feed, checked, stored, provenance)
    except IntegrityError:
        # saved a moment ago by a concurrent download: nothing to do
        await forget_stored(ctx, stored)
        return False
    except VersionInBin as err:
        # an owner deleted the version while it was downloading: keep it out
        await forget_stored(ctx, stored)
        log.warning("not saving %s from upstream %s: %s", staged.filename, upstream, err)
        return False
    except BaseException:
        await forget_stored(ctx, stored)
        raise
    log.info("saved %s from upstream %s into %s", staged.filename, upstream, feed.ref)
    return True


async def remote_metadata(ctx: Context, source: RemoteSource) -> bytes:
    """The core metadata (PEP 658) of an upstream-only wheel, checked against its hash."""
    expected = source.record.metadata_sha256
    if source.remote is None:
        key = source.record.metadata_blob_key
        if key is None:
            raise UpstreamError(f"{source.record.filename} has no core metadata upstream")
        return b"".join([chunk async for chunk in ctx.blobs.iter_bytes(key)])
    data = bytearray()
    # PEP 658: the metadata file is at the file's URL plus ".metadata"
    metadata_file = replace(source.remote, url=source.remote.url + ".metadata", hashes={})
    async with open_remote(ctx, replace(source, remote=metadata_file)) as chunks:
        async for chunk in chunks:
            data.extend(chunk)
            if len(data) > ctx.settings.max_metadata_bytes:
                raise UpstreamError(f"core metadata of {source.record.filename} is too large")
    if expected is not None and hashlib.sha256(data).hexdigest() != expected:
        raise UpstreamError(f"core metadata of {source.record.filename} does not match its hash")
    return bytes(data)
