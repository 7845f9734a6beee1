"""Which blobs the database refers to: every file row's ``blob_key`` and ``metadata_blob_key``.

Blob keys are content-addressed and shared between feeds, so one key may have many rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from quiver.services.feeds.models import Feed
from quiver.services.orgs.models import Organization, Project
from quiver.services.packages.models import File, Package, Version


@dataclass(frozen=True)
class FileRow:
    """A file row, named as people know it, and one blob it needs."""

    feed: str
    package: str
    version: str
    filename: str
    key: str
    part: str  # "file" (the distribution) or "metadata" (a wheel's METADATA, PEP 658)

    def describe(self) -> str:
        what = self.filename if self.part == "file" else f"the metadata of {self.filename}"
        return f"{what} ({self.package} {self.version} in {self.feed})"


async def referenced_keys(connection: AsyncConnection) -> set[str]:
    """Every blob key some file row needs."""
    keys: set[str] = set()
    result = await connection.stream(select(File.blob_key, File.metadata_blob_key))
    async for blob, metadata in result:
        keys.add(blob)
        if metadata:
            keys.add(metadata)
    return keys


async def rows_needing(connection: AsyncConnection, keys: set[str]) -> list[FileRow]:
    """The file rows that need one of ``keys``, by feed, package, version and filename."""
    found: list[FileRow] = []
    wanted = sorted(keys)
    for start in range(0, len(wanted), 500):
        batch = wanted[start : start + 500]
        query = (
            select(
                Organization.name,
                Project.name,
                Feed.name,
                Package.name,
                Version.version,
                File.filename,
                File.blob_key,
                File.metadata_blob_key,
            )
            .join(Version, Version.id == File.version_id)
            .join(Package, Package.id == Version.package_id)
            .join(Feed, Feed.id == File.feed_id)
            .join(Organization, Organization.id == Feed.org_id)
            .outerjoin(Project, Project.id == Feed.project_id)
            .where(or_(File.blob_key.in_(batch), File.metadata_blob_key.in_(batch)))
        )
        for row in await connection.execute(query):
            org, project, feed, package, version, filename, blob, metadata = row
            ref = "/".join(part for part in (org, project, feed) if part)
            for key, part in ((blob, "file"), (metadata, "metadata")):
                if key in keys:
                    found.append(FileRow(ref, package, version, filename, key, part))
    return sorted(found, key=lambda row: (row.feed, row.package, row.version, row.filename))
