"""Versions in a feed's recycle bin: finding a version, the bin's entries, the refusals.

A version in the bin keeps its rows but leaves every index; anything that would
change it (yank, promote, a new file, a save from upstream) is refused with
``VersionInBin`` (409), a sentence saying how to restore it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from packaging.utils import canonicalize_name, canonicalize_version
from packaging.version import InvalidVersion
from packaging.version import Version as PEP440Version
from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from quiver.domain.errors import Conflict, NotFound
from quiver.domain.roles import Role
from quiver.domain.versions import MAX_VERSION_CHARS
from quiver.services.access import authorize
from quiver.services.context import Context
from quiver.services.packages.models import File, Package, Version
from quiver.services.records import FeedInfo, FeedRef, Principal
from quiver.services.recycle.records import RecycledVersion

#: The ``code`` of a VersionInBin error body.
VERSION_IN_BIN = "version_in_bin"


class VersionInBin(Conflict):
    """The version is in the feed's recycle bin, so it cannot change (409).

    ``instead`` ends the sentence with the other way out, e.g. " or publish a new version".
    The body says ``code: version_in_bin``, so a client can tell how to restore it
    (the CLI names its command).
    """

    def __init__(self, feed: str, package: str, version: str, instead: str = "") -> None:
        super().__init__(
            f"Version {version} of {package} is in the recycle bin of feed {feed}: "
            f"restore it{instead}.",
            code=VERSION_IN_BIN,
        )


def entry(
    feed: FeedInfo, package: Package, version: Version, filenames: Sequence[str], days: int
) -> RecycledVersion:
    """The bin's entry of ``version`` (deleted: ``deleted_at`` is set)."""
    assert version.deleted_at is not None
    return RecycledVersion(
        feed=feed.ref,
        package=package.name,
        version=version.version,
        deleted_at=version.deleted_at,
        deleted_by=version.deleted_by,
        purge_after=version.deleted_at + timedelta(days=days),
        filenames=tuple(sorted(filenames)),
    )


async def filenames_of(session: AsyncSession, version_id: int) -> list[str]:
    rows = await session.scalars(select(File.filename).where(File.version_id == version_id))
    return list(rows)


async def find_version(
    session: AsyncSession, feed: FeedInfo, package_name: str, version_text: str
) -> tuple[Package, Version]:
    """The package and its version, in the bin or not, locked for update (404 if none).

    The version is matched in its PEP 440 canonical form, else by PEP 440
    equality (``1.0.0`` names ``1.0``) when exactly one version is equal.
    """
    normalized = canonicalize_name(package_name.strip())
    package = await session.scalar(
        select(Package).where(Package.feed_id == feed.id, Package.normalized_name == normalized)
    )
    if package is None:
        raise NotFound(f"Package {package_name.strip()} is not in feed {feed.ref}.")
    # By version only: its files are its package's feed's (see packages/listing.py).
    has_files = exists().where(File.version_id == Version.id)
    rows = (
        await session.scalars(
            select(Version).where(Version.package_id == package.id, has_files).with_for_update()
        )
    ).all()
    row = matching(rows, version_text.strip())
    if row is None:
        raise NotFound(
            f"Version {version_text.strip()} of {package.name} is not in feed {feed.ref}."
        )
    return package, row


async def live_version(
    session: AsyncSession, feed: FeedInfo, package_name: str, version_text: str
) -> tuple[Package, Version]:
    """Like ``find_version``, but 409 (VersionInBin) for a version in the recycle bin."""
    package, row = await find_version(session, feed, package_name, version_text)
    if row.deleted_at is not None:
        raise VersionInBin(feed.ref, package.name, row.version, " first")
    return package, row


def matching(rows: Sequence[Version], text: str) -> Version | None:
    """The row whose canonical form is ``text``'s, else the one PEP 440 says equals it."""
    if len(text) > MAX_VERSION_CHARS:  # no stored version is longer
        return None
    canonical = canonicalize_version(text, strip_trailing_zero=False)
    for row in rows:
        if row.canonical == canonical:
            return row
    try:
        wanted = PEP440Version(text)
    except InvalidVersion:
        return None
    equal = [row for row in rows if _parsed(row.version) == wanted]
    return equal[0] if len(equal) == 1 else None


def _parsed(text: str) -> PEP440Version | None:
    try:
        return PEP440Version(text)
    except InvalidVersion:
        return None


async def owned_feed(ctx: Context, principal: Principal, ref: FeedRef) -> FeedInfo:
    """The feed itself (never a view), if ``principal`` owns it."""
    return await authorize(ctx, principal, FeedRef(ref.org, ref.project, ref.feed), Role.OWNER)


async def in_bin(
    session: AsyncSession, feed: FeedInfo, package_name: str, version_text: str
) -> tuple[Package, Version]:
    """The version, if it is in the feed's recycle bin (404 otherwise), locked for update."""
    try:
        package, version = await find_version(session, feed, package_name, version_text)
    except NotFound:
        raise NotFound(
            f"Version {version_text.strip()} of {package_name.strip()} is not in the recycle "
            f"bin of feed {feed.ref}."
        ) from None
    if version.deleted_at is None:
        raise NotFound(
            f"Version {version.version} of {package.name} is not in the recycle bin of feed "
            f"{feed.ref}: it was not deleted."
        )
    return package, version


async def refuse_if_binned(
    session: AsyncSession, feed: FeedInfo, package: Package, version: Version, instead: str = ""
) -> None:
    """Raise VersionInBin when ``version`` is in the bin, as the database says now.

    Reads the column afresh (not the loaded row), so a caller that has bumped the
    feed's serial sees a deletion that committed while it waited for the feed row.
    """
    deleted_at = await session.scalar(select(Version.deleted_at).where(Version.id == version.id))
    if deleted_at is not None:
        raise VersionInBin(feed.ref, package.name, version.version, instead)


async def binned_version(
    session: AsyncSession, feed: FeedInfo, normalized: str, version: str
) -> tuple[str, str] | None:
    """``(package name, version)`` when ``normalized`` ``version`` is in the bin, else None."""
    canonical = canonicalize_version(version, strip_trailing_zero=False)
    row = (
        await session.execute(
            select(Package.name, Version.version)
            .join(Version, Version.package_id == Package.id)
            .where(
                Package.feed_id == feed.id,
                Package.normalized_name == normalized,
                Version.canonical == canonical,
                Version.deleted_at.is_not(None),
            )
        )
    ).first()
    return None if row is None else (row[0], row[1])


__all__ = [
    "VERSION_IN_BIN",
    "VersionInBin",
    "binned_version",
    "entry",
    "filenames_of",
    "find_version",
    "in_bin",
    "live_version",
    "matching",
    "owned_feed",
    "refuse_if_binned",
]
