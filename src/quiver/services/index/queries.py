"""Read queries behind the simple index: what a feed holds, as plain frozen data.

Each function is one query and never writes. A package is in the index when it
has at least one file in the feed; its versions are those with files, in
PEP 440 order.
"""

from __future__ import annotations

from collections.abc import Iterable

from packaging.utils import canonicalize_version
from packaging.version import InvalidVersion
from packaging.version import Version as PEP440Version
from sqlalchemy import exists, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from quiver.services.context import Context
from quiver.services.packages.models import File, Package, Version
from quiver.services.records import FeedInfo, FileRecord, LocalPackage, PackageListing, PackageName
from quiver.services.views.models import ViewVersion


def sorted_listing(name: str, normalized: str, records: Iterable[FileRecord]) -> PackageListing:
    """A listing of ``records`` in PEP 440 order, with its versions."""
    ordered = sorted(records, key=lambda r: (version_key(r.version), r.filename))
    versions: dict[str, None] = {}
    for record in ordered:
        versions.setdefault(record.version, None)
    return PackageListing(
        name=name, normalized=normalized, versions=tuple(versions), files=tuple(ordered)
    )


def version_key(text: str) -> tuple[int, PEP440Version | str]:
    """Sort key putting versions in PEP 440 order (unparsable ones first, by text)."""
    try:
        return (1, PEP440Version(text))
    except InvalidVersion:
        return (0, text)


def bin_key(version: str) -> str:
    """How a version in the recycle bin is matched: PEP 440 form without trailing zeros."""
    return canonicalize_version(version)


def live() -> ColumnElement[bool]:
    """True for versions not in the feed's recycle bin (a deleted version leaves every index)."""
    return Version.deleted_at.is_(None)


def in_view(view_id: int | None) -> ColumnElement[bool]:
    """True for versions promoted to the view ``view_id`` (every version for None: local)."""
    if view_id is None:
        return true()
    return exists().where(ViewVersion.view_id == view_id, ViewVersion.version_id == Version.id)


async def list_package_names(
    ctx: Context, feed: FeedInfo, view_id: int | None = None
) -> list[PackageName]:
    """Packages of ``feed`` (or of its view) that have at least one file, by normalized name."""
    has_files = exists().where(
        File.version_id == Version.id,
        Version.package_id == Package.id,
        live(),
        in_view(view_id),
    )
    query = (
        select(Package.name, Package.normalized_name)
        .where(Package.feed_id == feed.id, has_files)
        .order_by(Package.normalized_name)
    )
    async with ctx.sessions() as session:
        rows = (await session.execute(query)).all()
    return [PackageName(name, normalized) for name, normalized in rows]


async def package_files(
    ctx: Context, feed: FeedInfo, normalized_name: str, view_id: int | None = None
) -> PackageListing | None:
    """The files of one package in ``feed`` (or its view ``view_id``); None if it has none."""
    query = (
        select(Package.name, Version, File)
        .join(Version, Version.package_id == Package.id)
        .join(File, File.version_id == Version.id)
        .where(
            Package.feed_id == feed.id,
            Package.normalized_name == normalized_name,
            # Not File.feed_id: a version's files are in its package's feed, and testing it
            # leads SQLite to walk every file of the feed (services/packages/listing.py).
            live(),
            in_view(view_id),
        )
    )
    async with ctx.sessions() as session:
        rows = (await session.execute(query)).all()
    if not rows:
        return None
    records = (_record(version, file) for _name, version, file in rows)
    return sorted_listing(rows[0][0], normalized_name, records)


async def local_package(ctx: Context, feed: FeedInfo, normalized_name: str) -> LocalPackage:
    """The feed's own state for a name, cached per feed serial (no SQL on a hit)."""
    key = ("local", feed.id, feed.serial, normalized_name)
    cached = ctx.listings.get(key)
    if cached is not None:
        return cached
    query = select(Package.published_at, Package.upstream_behavior, Package.id).where(
        Package.feed_id == feed.id, Package.normalized_name == normalized_name
    )
    async with ctx.sessions() as session:
        row = (await session.execute(query)).first()
        binned = await _binned_versions(session, row[2]) if row is not None else frozenset()
    listing = await package_files(ctx, feed, normalized_name) if row is not None else None
    state = LocalPackage(
        normalized=normalized_name,
        listing=listing,
        published=row is not None and row[0] is not None,
        upstream_behavior=row[1] if row is not None else "default",
        binned=binned,
    )
    ctx.listings.put(key, state)
    return state


async def _binned_versions(session: AsyncSession, package_id: int) -> frozenset[str]:
    query = select(Version.version).where(
        Version.package_id == package_id, Version.deleted_at.is_not(None)
    )
    return frozenset(bin_key(text) for text in await session.scalars(query))


async def view_package(
    ctx: Context, feed: FeedInfo, view_id: int, normalized_name: str
) -> PackageListing | None:
    """The files of a name in a view of the feed (promoted versions only), cached per serial."""
    key = ("view", feed.id, feed.serial, view_id, normalized_name)
    cached = ctx.listings.get(key)
    if cached is not None:
        return cached.listing
    listing = await package_files(ctx, feed, normalized_name, view_id)
    ctx.listings.put(key, LocalPackage(normalized_name, listing, False, "default"))
    return listing


async def find_file(
    ctx: Context, feed: FeedInfo, normalized_name: str, filename: str, view_id: int | None = None
) -> FileRecord | None:
    """The file ``filename`` of package ``normalized_name`` in ``feed`` (or its view), or None."""
    query = (
        select(Version, File)
        .join(Version, Version.id == File.version_id)
        .join(Package, Package.id == Version.package_id)
        .where(
            File.feed_id == feed.id,
            File.filename == filename,
            Package.feed_id == feed.id,
            Package.normalized_name == normalized_name,
            live(),
            in_view(view_id),
        )
    )
    async with ctx.sessions() as session:
        row = (await session.execute(query)).first()
    if row is None:
        return None
    version, file = row
    return _record(version, file)


def _record(version: Version, file: File) -> FileRecord:
    return FileRecord(
        filename=file.filename,
        version=version.version,
        packagetype=file.packagetype,
        size=file.size,
        sha256=file.sha256,
        blob_key=file.blob_key,
        requires_python=file.requires_python,
        # yanked here, or (a saved file) yanked at the upstream when it was saved
        yanked=version.yanked or file.upstream_yanked,
        yanked_reason=version.yanked_reason if version.yanked else file.upstream_yanked_reason,
        uploaded_at=file.uploaded_at,
        metadata_sha256=file.metadata_sha256,
        metadata_blob_key=file.metadata_blob_key,
        metadata_size=file.metadata_size,
        origin=file.origin,
    )


__all__ = [
    "FileRecord",
    "LocalPackage",
    "PackageListing",
    "PackageName",
    "bin_key",
    "find_file",
    "in_view",
    "list_package_names",
    "live",
    "local_package",
    "package_files",
    "sorted_listing",
    "version_key",
    "view_package",
]
