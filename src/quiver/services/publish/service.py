"""Publishing a distribution file to a feed: validate, build, store, record.

Bad input never leaves a row or a blob behind: every check runs on the staged
file before anything is stored; the blob is stored before the row, and a row
that cannot be written takes its unreferenced blob with it.

This is the feature's door: besides ``publish`` it hands out the parts a save from an
upstream shares (staging, checking, storing and recording a file; ``store``, ``staging``).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quiver.domain.distributions import parse_filename
from quiver.domain.errors import Conflict, Invalid
from quiver.services.changes.record import Actor
from quiver.services.context import Context
from quiver.services.packages.models import File, FilenameRecord, Package, Version
from quiver.services.publish.staging import StagedFile, Stager
from quiver.services.publish.store import (
    ORIGIN_LOCAL,
    ORIGIN_UPSTREAM,
    CheckedFile,
    Provenance,
    StoredBlobs,
    check_distribution,
    forget_stored,
    record_file,
    store_blobs,
)
from quiver.services.records import FeedInfo, Principal
from quiver.services.recycle.service import VersionInBin, binned_version
from quiver.services.unitofwork import unit_of_work

DIGEST_FIELDS = ("sha256_digest", "md5_digest", "blake2_256_digest")


class FileExists(Conflict):
    """409: the feed has or had a file of that name. The body says ``code: file_exists`` and
    the sha256 of that file, so a client can tell "already there" from "a different file"."""

    def __init__(self, message: str, sha256: str) -> None:
        super().__init__(message, code="file_exists", sha256=sha256)


@dataclass(frozen=True)
class UploadRequest:
    """What the upload form said, with the file already staged on disk."""

    file: StagedFile
    name: str | None
    version: str | None
    filetype: str | None
    digests: Mapping[str, str]


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
        await _refuse_binned_version(session, feed, checked)
    stored = await store_blobs(ctx, checked)
    try:
        return await _record(ctx, principal, feed, checked, stored)
    except BaseException:
        await forget_stored(ctx, stored)
        raise


async def validate(ctx: Context, request: UploadRequest) -> CheckedFile:
    """Every check of an upload, on the staged bytes; nothing is stored."""
    dist = parse_filename(request.file.filename)
    if request.filetype and request.filetype != dist.kind:
        raise Invalid(
            f"The form says filetype {request.filetype} but {dist.filename} is a {dist.kind}."
        )
    _check_digests(request)
    return await check_distribution(ctx, request.file, dist, request.name, request.version)


def _check_digests(request: UploadRequest) -> None:
    actual = {
        "sha256_digest": request.file.sha256,
        "md5_digest": request.file.md5,
        "blake2_256_digest": request.file.blake2_256,
    }
    for field, sent in request.digests.items():
        # as bytes: compare_digest raises TypeError for text that is not ASCII
        given = sent.strip().lower().encode("utf-8", "replace")
        if sent and not hmac.compare_digest(given, actual[field].encode("ascii")):
            algorithm = field.removesuffix("_digest")
            raise Invalid(
                f"The {algorithm} digest sent does not match the uploaded bytes "
                f"of {request.file.filename}: the file was damaged in transit."
            )


async def _refuse_known_filename(session: AsyncSession, feed: FeedInfo, filename: str) -> None:
    """409 ``file_exists`` (with the sha256 the feed has or had) for a filename once used."""
    record = await session.scalar(
        select(FilenameRecord).where(
            FilenameRecord.feed_id == feed.id, FilenameRecord.filename_key == filename.casefold()
        )
    )
    if record is None:
        return
    current = (
        await session.execute(
            select(File.id, Version.deleted_at, Version.version, Package.name)
            .join(Version, Version.id == File.version_id)
            .join(Package, Package.id == Version.package_id)
            .where(File.feed_id == feed.id, File.filename == record.filename)
        )
    ).first()
    if current is not None and current[1] is not None:
        version, package = current[2], current[3]
        message = (
            f"File already exists: {filename} is in the recycle bin of feed {feed.ref} "
            f"(version {version} of {package} was deleted) and a filename can never be "
            "reused. Restore that version or publish a new version."
        )
    elif current is not None:
        message = f"File already exists: {filename} is already in feed {feed.ref}."
    else:
        message = (
            f"File already exists: {filename} was published to feed {feed.ref} before and "
            "deleted; a filename can never be reused. Publish a new version instead."
        )
    raise FileExists(message, record.sha256)


async def _refuse_binned_version(
    session: AsyncSession, feed: FeedInfo, checked: CheckedFile
) -> None:
    """409 for a new file of a version in the feed's recycle bin."""
    found = await binned_version(session, feed, checked.dist.name, str(checked.metadata.version))
    if found is not None:
        raise VersionInBin(feed.ref, found[0], found[1], " or publish a new version")


async def _record(
    ctx: Context,
    principal: Principal,
    feed: FeedInfo,
    checked: CheckedFile,
    stored: StoredBlobs,
) -> File:
    """The rows of the stored file, in one unit of work (the blobs are in the store already).

    A filename that won a race since the checks rolls it all back: 409 ``file_exists``.
    """
    try:
        async with unit_of_work(ctx, Actor.of(principal)) as work:
            provenance = Provenance(uploaded_by=principal.user_id, actor=work.actor)
            return await record_file(work.session, feed, checked, stored, provenance)
    except IntegrityError:
        raise FileExists(
            f"File already exists: {checked.dist.filename} is already in feed {feed.ref}.",
            await _recorded_sha256(ctx, feed, checked),
        ) from None


async def _recorded_sha256(ctx: Context, feed: FeedInfo, checked: CheckedFile) -> str:
    """The sha256 of the file that won a race for the same filename (ours if none is found)."""
    async with ctx.sessions() as session:
        found = await session.scalar(
            select(File.sha256).where(
                File.feed_id == feed.id, File.filename == checked.dist.filename
            )
        )
    return found or checked.file.sha256


__all__ = [
    "DIGEST_FIELDS",
    "ORIGIN_LOCAL",
    "ORIGIN_UPSTREAM",
    "CheckedFile",
    "FileExists",
    "Provenance",
    "StagedFile",
    "Stager",
    "StoredBlobs",
    "UploadRequest",
    "check_distribution",
    "forget_stored",
    "publish",
    "record_file",
    "store_blobs",
    "validate",
]
