"""What a package page shows once upstream sources are taken into account.

The feed's own files (published and saved) always show. For a name never
published here, the files of the first upstream, in order, that has the name
show too (a saved copy wins over the upstream's entry of the same filename).
Once a version of the name is published here, upstream files are hidden unless
the package's upstream behaviour is ``allow-external-versions``: the
dependency-confusion guard. Versions in the feed's recycle bin never come back
from an upstream: an owner deleted them on purpose.

Every answer of an index upstream (good, stale after a failure, or failed) is
reported to its health record (health.py), which writes the row only now and then.

``MergedPackage.key`` names the upstream answers a listing was built from, so a
rendered page can be cached under it and is rebuilt when an answer changes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Hashable
from dataclasses import dataclass, replace
from datetime import datetime

from quiver.domain.distributions import parse_filename
from quiver.domain.errors import Invalid, UpstreamError
from quiver.domain.metadata import index_requires_python
from quiver.domain.names import split_feed_ref
from quiver.services.access import resolve_feed
from quiver.services.context import Context
from quiver.services.index.service import bin_key, local_package, sorted_listing, view_package
from quiver.services.records import (
    KIND_INDEX,
    FeedInfo,
    FeedRef,
    FileRecord,
    LocalPackage,
    UpstreamInfo,
)
from quiver.services.upstreams import health
from quiver.services.upstreams.client import IndexSource, redact
from quiver.services.upstreams.queries import feed_upstreams
from quiver.services.upstreams.records import MergedPackage, RemoteSource
from quiver.services.upstreams.remote import RemoteFile
from quiver.services.views.queries import find_view, is_local

log = logging.getLogger("quiver.upstreams")
ALLOW_EXTERNAL = "allow-external-versions"
REMOTE = "remote"


@dataclass(frozen=True)
class _Answer:
    """One upstream's contribution: its files for the name, and what identifies it."""

    key: Hashable
    files: tuple[RemoteSource, ...] = ()
    page_url: str | None = None


def shows_upstream(local: LocalPackage) -> bool:
    """The dependency-confusion guard: published names hide upstream versions by default."""
    return not local.published or local.upstream_behavior == ALLOW_EXTERNAL


async def merged_package(ctx: Context, feed: FeedInfo, normalized: str) -> MergedPackage:
    """The feed's files for ``normalized`` plus, where the rules allow, the first upstream's."""
    local = await local_package(ctx, feed, normalized)
    if not shows_upstream(local):
        return MergedPackage(local, local.listing)
    keys: list[Hashable] = []
    for upstream in await feed_upstreams(ctx, feed.id):
        answer = await _ask(ctx, upstream, normalized)
        keys.append(answer.key)
        if answer.files:
            return _merge(local, normalized, answer, tuple(keys))
    return MergedPackage(local, local.listing, key=tuple(keys))


def _merge(
    local: LocalPackage, normalized: str, answer: _Answer, key: tuple[Hashable, ...]
) -> MergedPackage:
    own = local.listing.files if local.listing else ()
    have = {record.filename for record in own}
    remote = {
        s.record.filename: s
        for s in answer.files
        if s.record.filename not in have and bin_key(s.record.version) not in local.binned
    }
    if not own and not remote:
        # the upstream has only versions an owner deleted here (they are in the bin)
        return MergedPackage(local, None, key=key)
    name = local.listing.name if local.listing else normalized
    listing = sorted_listing(name, normalized, [*own, *(s.record for s in remote.values())])
    if answer.page_url:
        # PEP 708: a name never published here tracks the upstream's project; a
        # published one whose owner allows external versions has it as an alternate.
        if local.published:
            listing = replace(listing, alternate_locations=(answer.page_url,))
        else:
            listing = replace(listing, tracks=(answer.page_url,))
    return MergedPackage(local, listing, remote, key)


async def _ask(ctx: Context, upstream: UpstreamInfo, normalized: str) -> _Answer:
    """One upstream's files for the name; a failing upstream contributes nothing."""
    try:
        if upstream.kind == KIND_INDEX:
            return await _ask_index(ctx, upstream, normalized)
        return await _ask_feed(ctx, upstream, normalized)
    except UpstreamError as err:
        log.warning(
            "upstream %s of feed %s failed for %s: %s",
            upstream.name,
            upstream.feed_id,
            normalized,
            err,
        )
        return _Answer(key=("failed", upstream.id))


def index_source(upstream: UpstreamInfo) -> IndexSource:
    """The fetcher's view of an index upstream (URL and credentials)."""
    assert upstream.url is not None
    return IndexSource(upstream.url, upstream.username, upstream.secret)


async def _ask_index(ctx: Context, upstream: UpstreamInfo, normalized: str) -> _Answer:
    assert ctx.upstreams is not None
    source = index_source(upstream)
    try:
        result = await ctx.upstreams.get_page(source, normalized)
    except UpstreamError as err:
        await _note(ctx, upstream, _failure(source, normalized, str(err), time.time()))
        raise
    if result.error is not None and result.failed_at is not None:
        seen = _failure(source, normalized, result.error, result.failed_at)
    else:
        seen = health.good(result.fetched_at)
    await _note(ctx, upstream, seen)
    key = ("index", upstream.id, result.serial)
    if result.page is None:
        return _Answer(key=key)
    files = tuple(
        RemoteSource(upstream, record, remote=remote)
        for remote in result.page.files
        if (record := remote_record(remote)) is not None
    )
    return _Answer(key=key, files=files, page_url=result.page.page_url)


def _failure(source: IndexSource, normalized: str, reason: str, at: float) -> health.Seen:
    return health.failed(
        at,
        reason,
        secret=source.secret,
        page_url=redact(source.page_url(normalized)),
        index_url=redact(source.url),
    )


async def _note(ctx: Context, upstream: UpstreamInfo, seen: health.Seen) -> None:
    """The upstream's health record learns of ``seen`` (a write now and then, never a failure)."""
    assert ctx.upstreams is not None
    await health.note(ctx.upstreams.health, ctx.sessions, upstream.id, seen)


async def _ask_feed(ctx: Context, upstream: UpstreamInfo, normalized: str) -> _Answer:
    assert upstream.source_ref is not None
    org, project, name, _view = split_feed_ref(upstream.source_ref)
    source = await resolve_feed(ctx, FeedRef(org, project, name))
    if source is None or source.deleted_at is not None:
        # A source feed in the recycle bin is skipped until it is restored.
        return _Answer(key=("gone", upstream.id))
    key: Hashable = ("feed", upstream.id, source.id, source.serial)
    if is_local(upstream.source_view):
        listing = (await local_package(ctx, source, normalized)).listing
    else:
        # Through a view: only the versions promoted to it.
        assert upstream.source_view is not None
        view = await find_view(ctx, source.id, upstream.source_view)
        if view is None:
            return _Answer(key=("gone", upstream.id, source.serial))
        listing = await view_package(ctx, source, view.id, normalized)
    if listing is None:
        return _Answer(key=key)
    files = tuple(
        RemoteSource(upstream, _as_remote(record), source_feed=source)
        for record in listing.files
        if record.origin != REMOTE
    )
    return _Answer(key=key, files=files)


def _as_remote(record: FileRecord) -> FileRecord:
    return replace(record, origin=REMOTE)


def remote_record(remote: RemoteFile) -> FileRecord | None:
    """An upstream file as an index entry; None when it cannot be offered safely.

    Files without a sha256 are left out: a saved copy must be checked against it.
    """
    sha256 = remote.hashes.get("sha256")
    if sha256 is None:
        return None
    try:
        dist = parse_filename(remote.filename)
    except Invalid:
        return None
    yanked = remote.yanked is not False
    return FileRecord(
        filename=remote.filename,
        version=str(dist.version),
        packagetype=dist.kind,
        size=remote.size,
        sha256=sha256,
        blob_key=None,
        requires_python=index_requires_python(remote.requires_python),
        yanked=yanked,
        yanked_reason=remote.yanked if isinstance(remote.yanked, str) else None,
        uploaded_at=_parse_time(remote.upload_time),
        metadata_sha256=(remote.core_metadata or {}).get("sha256"),
        origin=REMOTE,
    )


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
