"""What a feed holds, for people: its packages, and each version's files with their origin.

Every file says whether it was published here (``local``, with who uploaded it)
or saved from an upstream source (``upstream``, with that source's name and the
URL the file came from, kept after the source is removed). Versions in the
feed's recycle bin are left out (``quiver.services.recycle`` lists them).
"""

from __future__ import annotations

from packaging.utils import canonicalize_name
from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from quiver.domain.errors import NotFound
from quiver.domain.events import EventKind
from quiver.domain.roles import Role
from quiver.services.access import authorize
from quiver.services.changes.models import FeedEvent
from quiver.services.context import Context
from quiver.services.index.service import live, version_key
from quiver.services.packages.models import File, Package, Version
from quiver.services.packages.records import (
    PackageSummary,
    PackageVersions,
    VersionEntry,
    VersionFile,
)
from quiver.services.publish.service import ORIGIN_LOCAL, ORIGIN_UPSTREAM
from quiver.services.records import FeedRef, Principal
from quiver.services.users.models import User
from quiver.services.views.queries import views_of_versions


async def list_packages(ctx: Context, principal: Principal, ref: FeedRef) -> list[PackageSummary]:
    """The feed's packages that have files, by normalized name (readers)."""
    feed = await authorize(ctx, principal, ref, Role.READER)
    saved = func.sum(case((File.origin == ORIGIN_UPSTREAM, 1), else_=0))
    query = (
        select(
            Package.name,
            Package.normalized_name,
            Package.upstream_behavior,
            func.count(func.distinct(Version.id)),
            func.count(File.id),
            saved,
        )
        .join(Version, Version.package_id == Package.id)
        .join(File, File.version_id == Version.id)
        .where(Package.feed_id == feed.id, File.feed_id == feed.id, live())
        .group_by(Package.id, Package.name, Package.normalized_name, Package.upstream_behavior)
        .order_by(Package.normalized_name)
    )
    async with ctx.sessions() as session:
        rows = (await session.execute(query)).all()
    return [
        PackageSummary(name, normalized, int(versions), int(files), int(saved or 0), behavior)
        for name, normalized, behavior, versions, files, saved in rows
    ]


async def list_versions(
    ctx: Context, principal: Principal, ref: FeedRef, package_name: str
) -> PackageVersions:
    """Every version of a package in the feed with its files and their origin (readers).

    404 when the feed has no such package (or no file of it).
    """
    feed = await authorize(ctx, principal, ref, Role.READER)
    normalized = canonicalize_name(package_name.strip())
    query = (
        select(Package, Version, File, User.username)
        .join(Version, Version.package_id == Package.id)
        .join(File, File.version_id == Version.id)
        .outerjoin(User, User.id == File.uploaded_by)
        .where(
            Package.feed_id == feed.id,
            Package.normalized_name == normalized,
            # Not File.feed_id: a version's files are in its package's feed, and testing it
            # leads SQLite to walk every file of the feed (services/packages/listing.py).
            live(),
        )
    )
    async with ctx.sessions() as session:
        rows = (await session.execute(query)).all()
        promoted = await views_of_versions(session, list({row[1].id for row in rows}))
        gone = [row[2].filename for row in rows if row[2].origin == ORIGIN_LOCAL and not row[3]]
        publishers = await _publishers(session, feed.id, rows[0][0].name if rows else "", gone)
    if not rows:
        raise NotFound(f"Package {package_name} is not in feed {feed.ref}.")
    package = rows[0][0]
    by_version: dict[int, tuple[Version, list[VersionFile]]] = {}
    for _package, version, file, user in rows:
        username = user or publishers.get(file.filename)
        entry = by_version.setdefault(version.id, (version, []))
        entry[1].append(
            VersionFile(
                filename=file.filename,
                packagetype=file.packagetype,
                size=file.size,
                sha256=file.sha256,
                origin=file.origin,
                upstream_name=file.upstream_name,
                source_url=file.source_url,
                uploaded_at=file.uploaded_at,
                uploaded_by=username if file.origin == ORIGIN_LOCAL else None,
                download_count=file.download_count,
                last_download_at=file.last_download_at,
                saved_at=file.saved_at,
                upstream_yanked=file.upstream_yanked,
                upstream_yanked_reason=file.upstream_yanked_reason,
                metadata_warnings=tuple(file.metadata_warnings or ()),
                requires_python=file.requires_python,
            )
        )
    versions = sorted(by_version.values(), key=lambda item: version_key(item[0].version))
    return PackageVersions(
        feed=feed.ref,
        name=package.name,
        normalized=package.normalized_name,
        upstream_behavior=package.upstream_behavior,
        versions=tuple(
            VersionEntry(
                version=version.version,
                yanked=version.yanked,
                yanked_reason=version.yanked_reason,
                files=tuple(sorted(files, key=lambda f: f.filename)),
                views=("local", *promoted.get(version.id, ())),
            )
            for version, files in versions
        ),
    )


async def _publishers(
    session: AsyncSession, feed_id: int, package: str, filenames: list[str]
) -> dict[str, str]:
    """Who published each of ``package``'s ``filenames`` (local files whose uploader's
    account was deleted), by the actor name their publish event kept; a filename is
    never reused in a feed, so its one publish event is the one."""
    if not filenames:
        return {}
    wanted = set(filenames)
    events = await session.execute(
        select(FeedEvent.actor, FeedEvent.detail).where(
            FeedEvent.feed_id == feed_id,
            FeedEvent.kind == EventKind.PUBLISH.value,
            FeedEvent.package == package,
        )
    )
    found: dict[str, str] = {}
    for actor, detail in events:
        for filename in (detail or {}).get("files", ()):
            if filename in wanted and actor:
                found[filename] = actor
    return found


__all__ = ["list_packages", "list_versions"]
