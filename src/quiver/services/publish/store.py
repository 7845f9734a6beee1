"""Storing a checked distribution file: blobs first, then rows, for publish and save alike.

``check_distribution`` runs the archive and metadata rules on a staged file;
``store_blobs`` claims the keys and puts the file (and a wheel's METADATA, for PEP
658) in the blob store; ``record_file`` writes package, version and file rows and
releases the claims in one transaction; ``forget_stored`` undoes ``store_blobs``
when recording fails. The claims are the recycle bin's (``services.recycle.claims``):
its purges are what delete blobs.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import datetime

from packaging.utils import canonicalize_version
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quiver.blobs import blob_key
from quiver.db.base import utcnow
from quiver.domain.distributions import DistFilename, check_agreement
from quiver.domain.events import EventKind
from quiver.domain.metadata import CoreMetadata, read_core_metadata
from quiver.services.changes.record import SERVER, Actor, record_event
from quiver.services.context import Context
from quiver.services.packages.models import File, FilenameRecord, Package, Version
from quiver.services.publish.archives import core_metadata_bytes
from quiver.services.publish.staging import StagedFile
from quiver.services.records import FeedInfo
from quiver.services.recycle.service import (
    claim_blobs,
    forget_blobs,
    refuse_if_binned,
    release_claims,
)

ORIGIN_LOCAL = "local"
ORIGIN_UPSTREAM = "upstream"


@dataclass(frozen=True)
class CheckedFile:
    """A staged file that passed every archive and metadata rule, ready to store."""

    file: StagedFile
    dist: DistFilename
    metadata: CoreMetadata
    raw_metadata: bytes

    @property
    def metadata_sha256(self) -> str:
        return hashlib.sha256(self.raw_metadata).hexdigest()


@dataclass(frozen=True)
class Provenance:
    """Where a file came from: published by a user, or saved from an upstream source."""

    origin: str = ORIGIN_LOCAL
    uploaded_by: int | None = None
    upstream_id: int | None = None
    upstream_name: str | None = None
    source_url: str | None = None
    # the upstream's facts about the file: its upload time and yank state there
    upstream_uploaded_at: datetime | None = None
    upstream_yanked: bool = False
    upstream_yanked_reason: str | None = None
    # who published it, or whose download saved it (the change feed and audit log)
    actor: Actor = SERVER


async def check_distribution(
    ctx: Context,
    staged: StagedFile,
    dist: DistFilename,
    form_name: str | None = None,
    form_version: str | None = None,
) -> CheckedFile:
    """Read the core metadata as installers do; raises Invalid with the reason.

    Only what would hurt an installer or the server refuses a file; the rest of what
    bends the spec is in ``metadata.warnings`` (quiver.domain.metadata).
    """
    raw = await asyncio.to_thread(
        core_metadata_bytes, staged.path, dist, ctx.settings.max_metadata_bytes
    )
    # off the event loop: parsing up to QUIVER_MAX_METADATA_BYTES of requirements takes seconds
    metadata = await asyncio.to_thread(read_core_metadata, raw)
    check_agreement(dist, metadata, form_name, form_version)
    return CheckedFile(staged, dist, metadata, raw)


@dataclass(frozen=True)
class StoredBlobs:
    """The blobs of a checked file, put in the store under claims (services.recycle.claims)."""

    file_key: str
    metadata_key: str | None
    claims: tuple[int, ...]

    @property
    def keys(self) -> tuple[str, str | None]:
        return self.file_key, self.metadata_key


async def store_blobs(ctx: Context, checked: CheckedFile) -> StoredBlobs:
    """Claim the keys, then put the staged file in the blob store (a wheel's METADATA beside it).

    The claims keep a concurrent purge from deleting the blobs before ``record_file``
    commits; ``forget_stored`` undoes this when recording fails.
    """
    file_key = blob_key(checked.file.sha256, checked.dist.filename)
    metadata_key = None
    if checked.dist.is_wheel:
        metadata_key = blob_key(checked.metadata_sha256, checked.dist.filename + ".metadata")
    claims = await claim_blobs(ctx.engine, (file_key, metadata_key))
    stored = StoredBlobs(file_key, metadata_key, claims)
    try:
        if metadata_key is not None:
            await ctx.blobs.put_bytes(metadata_key, checked.raw_metadata)
        await ctx.blobs.put_file(file_key, checked.file.path)
    except BaseException:
        await forget_stored(ctx, stored)
        raise
    return stored


async def forget_stored(ctx: Context, stored: StoredBlobs) -> None:
    """Release the claims of blobs no row was recorded for, and delete what nothing needs."""
    await forget_blobs(ctx.engine, ctx.blobs, stored.keys, stored.claims)


async def record_file(
    session: AsyncSession,
    feed: FeedInfo,
    checked: CheckedFile,
    stored: StoredBlobs,
    provenance: Provenance,
) -> File:
    """Add package, version and file rows (and, when published, the filename record), and
    release the blobs' claims: a row now keeps them.

    Flushes but does not commit: the caller owns the transaction. A filename that
    exists raises IntegrityError from the flush; a version in the feed's recycle
    bin raises VersionInBin (409).
    """
    meta, staged = checked.metadata, checked.file
    file_key, metadata_key = stored.keys
    package = await package_row(session, feed, meta.name, checked.dist.name)
    published = provenance.origin == ORIGIN_LOCAL
    if published and package.published_at is None:
        package.published_at = utcnow()
    version = await version_row(session, package, meta)
    row = File(
        feed_id=feed.id,
        version_id=version.id,
        filename=checked.dist.filename,
        packagetype=checked.dist.kind,
        size=staged.size,
        sha256=staged.sha256,
        md5=staged.md5,
        blake2_256=staged.blake2_256,
        blob_key=file_key,
        requires_python=meta.requires_python,
        metadata_warnings=list(meta.warnings) or None,
        metadata_sha256=checked.metadata_sha256 if metadata_key else None,
        metadata_blob_key=metadata_key,
        metadata_size=len(checked.raw_metadata) if metadata_key else None,
        uploaded_by=provenance.uploaded_by,
        origin=provenance.origin,
        upstream_id=provenance.upstream_id,
        upstream_name=provenance.upstream_name,
        source_url=provenance.source_url,
        **_times(provenance),
        upstream_yanked=provenance.upstream_yanked,
        upstream_yanked_reason=provenance.upstream_yanked_reason,
    )
    session.add(row)
    if published:
        session.add(
            FilenameRecord(
                feed_id=feed.id,
                filename=checked.dist.filename,
                filename_key=checked.dist.filename.casefold(),
                sha256=staged.sha256,
            )
        )
    await session.flush()
    await release_claims(session, stored.claims)
    kind = EventKind.PUBLISH if published else EventKind.SAVE
    detail = {"upstream": provenance.upstream_name} if provenance.upstream_name else None
    await record_event(
        session,
        feed.id,
        provenance.actor,
        kind,
        package=package.name,
        version=version.version,
        files=[row.filename],
        detail=detail,
    )
    # After the serial bump, which waits for a deletion holding the feed row.
    await refuse_if_binned(session, feed, package, version, " or publish a new version")
    return row


def _times(provenance: Provenance) -> dict[str, datetime]:
    """A saved file keeps the upstream's upload time (clients filter on it) and its save time."""
    now = utcnow()
    if provenance.origin == ORIGIN_LOCAL:
        return {"uploaded_at": now}
    return {"uploaded_at": provenance.upstream_uploaded_at or now, "saved_at": now}


async def package_row(session: AsyncSession, feed: FeedInfo, name: str, normalized: str) -> Package:
    """The feed's package of that name, created if needed (safe against a racing insert)."""
    query = select(Package).where(Package.feed_id == feed.id, Package.normalized_name == normalized)
    package = await session.scalar(query)
    if package is not None:
        return package
    try:
        async with session.begin_nested():
            package = Package(feed_id=feed.id, name=name, normalized_name=normalized)
            session.add(package)
    except IntegrityError:
        package = await session.scalar(query)
        assert package is not None
    return package


async def version_row(session: AsyncSession, package: Package, meta: CoreMetadata) -> Version:
    """The package's version of that (PEP 440 normalized) number, created if needed."""
    canonical = canonicalize_version(meta.version, strip_trailing_zero=False)
    query = select(Version).where(Version.package_id == package.id, Version.canonical == canonical)
    version = await session.scalar(query)
    if version is not None:
        return version
    try:
        async with session.begin_nested():
            version = Version(
                package_id=package.id,
                version=str(meta.version),
                canonical=canonical,
                summary=meta.summary,
            )
            session.add(version)
    except IntegrityError:
        version = await session.scalar(query)
        assert version is not None
    return version
