"""One version's details for people: summary, README, license, dependencies, URLs.

Read from the version's own core metadata: a wheel's METADATA (kept beside it for PEP 658)
when the version has a wheel here, else the PKG-INFO inside its sdist, read once from the
blob store and kept in memory by the file's sha256 (metadata never changes for a file).
Files known only at an upstream (not saved) have no bytes here, so no details.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from packaging.utils import canonicalize_name
from sqlalchemy import select

from quiver.domain.details import ProjectDetails, describe
from quiver.domain.distributions import parse_filename
from quiver.domain.errors import Invalid, NotFound
from quiver.domain.roles import Role
from quiver.services.access import authorize
from quiver.services.caches import LRU
from quiver.services.context import Context
from quiver.services.index.queries import live
from quiver.services.packages.models import File, Package, Version
from quiver.services.packages.records import VersionDetails
from quiver.services.publish.archives import core_metadata_bytes
from quiver.services.records import FeedInfo, FeedRef, Principal
from quiver.services.recycle.queries import matching

# sdist metadata read from the blob store, by file sha256 (a few KB each)
_FROM_SDISTS: LRU[ProjectDetails] = LRU(512)


async def version_details(
    ctx: Context, principal: Principal, ref: FeedRef, package_name: str, version_text: str
) -> VersionDetails:
    """The details of one version of a package in the feed (readers).

    NotFound for an unknown package or version, or one in the recycle bin. ``details`` is
    None when no file of the version has readable metadata here.
    """
    feed = await authorize(ctx, principal, ref, Role.READER)
    package, version, files = await _version_files(ctx, feed, package_name, version_text)
    source = _metadata_source(files)
    details = await _read_details(ctx, source) if source is not None else None
    return VersionDetails(
        name=package.name,
        version=version.version,
        summary=version.summary,
        yanked=version.yanked,
        yanked_reason=version.yanked_reason,
        metadata_from=source.filename if source is not None and details is not None else None,
        details=details,
    )


async def _version_files(
    ctx: Context, feed: FeedInfo, package_name: str, version_text: str
) -> tuple[Package, Version, list[File]]:
    normalized = canonicalize_name(package_name.strip())
    async with ctx.sessions() as session:
        package = await session.scalar(
            select(Package).where(Package.feed_id == feed.id, Package.normalized_name == normalized)
        )
        versions = []
        if package is not None:
            query = select(Version).where(Version.package_id == package.id, live())
            versions = list((await session.scalars(query)).all())
        version = matching(versions, version_text.strip())
        files: list[File] = []
        if version is not None:
            # By version only: its files are its package's feed's (see packages/listing.py).
            query_files = select(File).where(File.version_id == version.id)
            files = list((await session.scalars(query_files)).all())
    if package is None or version is None or not files:
        raise NotFound(
            f"Version {version_text.strip()} of {package_name.strip()} is not in feed {feed.ref}."
        )
    return package, version, files


def _metadata_source(files: list[File]) -> File | None:
    """A wheel with its METADATA kept here, else an sdist (first by name, so stable)."""
    ordered = sorted(files, key=lambda f: f.filename)
    wheels = [f for f in ordered if f.metadata_blob_key]
    if wheels:
        return wheels[0]
    sdists = [f for f in ordered if f.packagetype == "sdist"]
    return sdists[0] if sdists else None


async def _read_details(ctx: Context, file: File) -> ProjectDetails | None:
    """The file's metadata described; None when its bytes are gone or unreadable."""
    try:
        if file.metadata_blob_key:
            raw = await _read_blob(ctx, file.metadata_blob_key, ctx.settings.max_metadata_bytes)
            return describe(raw)
        cached = _FROM_SDISTS.get(file.sha256)
        if cached is None:
            cached = describe(await _sdist_metadata(ctx, file))
            _FROM_SDISTS.put(file.sha256, cached)
        return cached
    except (FileNotFoundError, Invalid):
        return None


async def _read_blob(ctx: Context, key: str, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in ctx.blobs.iter_bytes(key):
        size += len(chunk)
        if size > limit:
            raise Invalid(f"The metadata is over {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


async def _sdist_metadata(ctx: Context, file: File) -> bytes:
    """PKG-INFO of the sdist ``file``: its blob copied to a private temporary file first
    (the archive readers need a seekable file; the store may be remote)."""
    dist = parse_filename(file.filename)
    ctx.settings.tmp_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ctx.settings.tmp_dir, prefix="details-") as where:
        path = Path(where) / file.filename
        with path.open("wb") as out:
            async for chunk in ctx.blobs.iter_bytes(file.blob_key):
                out.write(chunk)
        limit = ctx.settings.max_metadata_bytes
        return await asyncio.to_thread(core_metadata_bytes, path, dist, limit)
