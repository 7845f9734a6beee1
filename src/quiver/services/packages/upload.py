"""Publishing a distribution file to a feed: validate, build, store, record.

Bad input never leaves a row or a blob behind: every check runs on the staged
file before anything is stored; the blob is stored before the row, and a row
that cannot be written takes its unreferenced blob with it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from packaging.metadata import Metadata
from packaging.utils import canonicalize_version
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quiver.blobs import blob_key
from quiver.domain.distributions import (
    DistFilename,
    check_agreement,
    parse_filename,
    parse_metadata,
)
from quiver.domain.errors import DomainError
from quiver.services.access import FeedInfo, Principal
from quiver.services.context import Context
from quiver.services.errors import Conflict, Invalid
from quiver.services.feeds.service import bump_serial
from quiver.services.packages.archives import read_core_metadata
from quiver.services.packages.models import File, FilenameRecord, Package, Version
from quiver.services.packages.staging import StagedFile

DIGEST_FIELDS = ("sha256_digest", "md5_digest", "blake2_256_digest")


@dataclass(frozen=True)
class UploadRequest:
    """What the upload form said, with the file already staged on disk."""

    file: StagedFile
    name: str | None
    version: str | None
    filetype: str | None
    digests: Mapping[str, str]


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed every check, ready to store."""

    file: StagedFile
    dist: DistFilename
    metadata: Metadata
    raw_metadata: bytes


async def publish(
    ctx: Context, principal: Principal, feed: FeedInfo, request: UploadRequest
) -> File:
    """Publish the staged file to ``feed`` (the caller has checked the contributor role).

    Raises Invalid for any bad file (400) and Conflict (409) when the filename
    exists or ever existed in the feed.
    """
    checked = await validate(ctx, request)
    async with ctx.sessions() as session:
        await _refuse_known_filename(session, feed, checked.dist.filename)
    file_key, metadata_key = await _store_blobs(ctx, checked)
    try:
        row = await _record(ctx, principal, feed, checked, file_key, metadata_key)
    except BaseException:
        await _forget_blobs(ctx, file_key, metadata_key)
        raise
    ctx.access.invalidate()
    return row


async def validate(ctx: Context, request: UploadRequest) -> CheckedUpload:
    """Every check of an upload, on the staged bytes; nothing is stored."""
    try:
        dist = parse_filename(request.file.filename)
        if request.filetype and request.filetype != dist.kind:
            raise DomainError(
                f"The form says filetype {request.filetype} but {dist.filename} is a {dist.kind}."
            )
        _check_digests(request)
        raw = await asyncio.to_thread(
            read_core_metadata, request.file.path, dist, ctx.settings.max_metadata_bytes
        )
        metadata = parse_metadata(raw)
        check_agreement(dist, metadata, request.name, request.version)
    except DomainError as err:
        raise Invalid(str(err)) from None
    return CheckedUpload(request.file, dist, metadata, raw)


def _check_digests(request: UploadRequest) -> None:
    actual = {
        "sha256_digest": request.file.sha256,
        "md5_digest": request.file.md5,
        "blake2_256_digest": request.file.blake2_256,
    }
    for field, sent in request.digests.items():
        if sent and not hmac.compare_digest(sent.strip().lower(), actual[field]):
            algorithm = field.removesuffix("_digest")
            raise DomainError(
                f"The {algorithm} digest sent does not match the uploaded bytes "
                f"of {request.file.filename}: the file was damaged in transit."
            )


async def _refuse_known_filename(session: AsyncSession, feed: FeedInfo, filename: str) -> None:
    record = await session.scalar(
        select(FilenameRecord).where(
            FilenameRecord.feed_id == feed.id, FilenameRecord.filename_key == filename.casefold()
        )
    )
    if record is None:
        return
    current = await session.scalar(
        select(File.id).where(File.feed_id == feed.id, File.filename == record.filename)
    )
    if current is not None:
        raise Conflict(f"File already exists: {filename} is already in feed {feed.ref}.")
    raise Conflict(
        f"File already exists: {filename} was published to feed {feed.ref} before and "
        "deleted; a filename can never be reused. Publish a new version instead."
    )


async def _store_blobs(ctx: Context, checked: CheckedUpload) -> tuple[str, str | None]:
    file_key = blob_key(checked.file.sha256, checked.dist.filename)
    metadata_key = None
    if checked.dist.is_wheel:
        digest = hashlib.sha256(checked.raw_metadata).hexdigest()
        metadata_key = blob_key(digest, checked.dist.filename + ".metadata")
        await ctx.blobs.put_bytes(metadata_key, checked.raw_metadata)
    await ctx.blobs.put_file(file_key, checked.file.path)
    return file_key, metadata_key


async def _record(
    ctx: Context,
    principal: Principal,
    feed: FeedInfo,
    checked: CheckedUpload,
    file_key: str,
    metadata_key: str | None,
) -> File:
    meta, staged = checked.metadata, checked.file
    async with ctx.sessions() as session:
        try:
            package = await _package(session, feed, meta.name, checked.dist.name)
            version = await _version(session, package, meta)
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
                requires_python=str(meta.requires_python) if meta.requires_python else None,
                metadata_sha256=hashlib.sha256(checked.raw_metadata).hexdigest()
                if metadata_key
                else None,
                metadata_blob_key=metadata_key,
                metadata_size=len(checked.raw_metadata) if metadata_key else None,
                uploaded_by=principal.user_id,
            )
            session.add(row)
            session.add(
                FilenameRecord(
                    feed_id=feed.id,
                    filename=checked.dist.filename,
                    filename_key=checked.dist.filename.casefold(),
                    sha256=staged.sha256,
                )
            )
            await bump_serial(session, feed.id)
            await session.commit()
        except IntegrityError:
            await session.rollback()
            raise Conflict(
                f"File already exists: {checked.dist.filename} is already in feed {feed.ref}."
            ) from None
    return row


async def _package(session: AsyncSession, feed: FeedInfo, name: str, normalized: str) -> Package:
    query = select(Package).where(Package.feed_id == feed.id, Package.normalized_name == normalized)
    package = await session.scalar(query)
    if package is not None:
        return package
    try:
        async with session.begin_nested():
            package = Package(feed_id=feed.id, name=name, normalized_name=normalized)
            session.add(package)
    except IntegrityError:
        # Another upload created it a moment ago.
        package = await session.scalar(query)
        assert package is not None
    return package


async def _version(session: AsyncSession, package: Package, meta: Metadata) -> Version:
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
                summary=(meta.summary or None) and meta.summary[:512],
            )
            session.add(version)
    except IntegrityError:
        version = await session.scalar(query)
        assert version is not None
    return version


async def _forget_blobs(ctx: Context, *keys: str | None) -> None:
    """Delete blobs no row refers to (content-addressed blobs may be shared)."""
    async with ctx.sessions() as session:
        for key in keys:
            if key is None:
                continue
            used = await session.scalar(
                select(func.count())
                .select_from(File)
                .where((File.blob_key == key) | (File.metadata_blob_key == key))
            )
            if not used:
                await ctx.blobs.delete(key)
