"""What the packages feature answers with: a feed's packages, a package's versions and
files, a version after a yank, the results of a batch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from quiver.domain.details import ProjectDetails
from quiver.domain.errors import QuiverError


@dataclass(frozen=True)
class PackageSummary:
    """A package of a feed with how many versions and files it has here."""

    name: str
    normalized: str
    versions: int
    files: int
    saved_files: int
    upstream_behavior: str


@dataclass(frozen=True)
class VersionFile:
    filename: str
    packagetype: str
    size: int
    sha256: str
    origin: str
    upstream_name: str | None
    source_url: str | None
    uploaded_at: datetime
    uploaded_by: str | None
    download_count: int = 0
    last_download_at: datetime | None = None
    saved_at: datetime | None = None
    upstream_yanked: bool = False
    upstream_yanked_reason: str | None = None
    metadata_warnings: tuple[str, ...] = ()
    requires_python: str | None = None


@dataclass(frozen=True)
class VersionEntry:
    version: str
    yanked: bool
    yanked_reason: str | None
    files: tuple[VersionFile, ...]
    # The views the version is in: ``local`` first, then those it was promoted to.
    views: tuple[str, ...] = ("local",)

    @property
    def origins(self) -> frozenset[str]:
        return frozenset(file.origin for file in self.files)

    @property
    def download_count(self) -> int:
        return sum(file.download_count for file in self.files)

    @property
    def last_download_at(self) -> datetime | None:
        return max((f.last_download_at for f in self.files if f.last_download_at), default=None)


@dataclass(frozen=True)
class PackageVersions:
    """A package's versions in ``feed`` (PEP 440 order) and its upstream behaviour."""

    feed: str
    name: str
    normalized: str
    upstream_behavior: str
    versions: tuple[VersionEntry, ...]


@dataclass(frozen=True)
class YankState:
    """A version after a yank or un-yank, and whether the call changed anything."""

    feed: str
    name: str
    version: str
    yanked: bool
    yanked_reason: str | None
    changed: bool


@dataclass(frozen=True)
class Item:
    """A version named in a batch, as given."""

    name: str
    version: str


@dataclass(frozen=True)
class ItemResult:
    """What became of one version: ``error`` is why it failed (None when it was done)."""

    name: str
    version: str
    error: QuiverError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class PackageRow:
    """A package on a feed's web page: for each view holding a version of it (``local``
    first), that view's newest version (the newest not yanked, when there is one); the
    summary of the newest in ``local``; where its files came from (``local`` first, then
    the names of upstream sources); its downloads and its newest file."""

    name: str
    normalized: str
    latest: tuple[tuple[str, str], ...]
    summary: str | None
    origins: tuple[str, ...]
    downloads: int
    updated_at: datetime


@dataclass(frozen=True)
class PackagePage:
    """One page of a feed's packages (by normalized name), how many match in all, and the
    feed's views (``local`` first), the names a page may filter on."""

    feed: str
    total: int
    packages: tuple[PackageRow, ...]
    views: tuple[str, ...] = ("local",)


__all__ = [
    "Item",
    "ItemResult",
    "PackagePage",
    "PackageRow",
    "PackageSummary",
    "PackageVersions",
    "VersionEntry",
    "VersionFile",
    "YankState",
]


@dataclass(frozen=True)
class VersionDetails:
    """One version for people: its state, and its core metadata described (``details``,
    None when no file of it has readable metadata here); ``metadata_from`` names the file
    the details were read from."""

    name: str
    version: str
    summary: str | None
    yanked: bool
    yanked_reason: str | None
    metadata_from: str | None
    details: ProjectDetails | None
