"""What the upstreams use cases take and return (``UpstreamInfo``, one source of a feed,
is shared: ``quiver.services.records``)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field

from quiver.services.records import FeedInfo, FileRecord, LocalPackage, PackageListing, UpstreamInfo
from quiver.services.upstreams.remote import RemoteFile


@dataclass(frozen=True)
class UpstreamSpec:
    """An upstream source as a caller asks for it: ``url`` (or ``pypi``) or ``feed``."""

    name: str
    url: str | None = None
    feed: str | None = None
    username: str | None = None
    secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class PackageUpstreaming:
    """A package's upstream behaviour in a feed."""

    name: str
    normalized: str
    behavior: str


@dataclass(frozen=True)
class RemoteSource:
    """Where a file that is only upstream comes from.

    ``remote`` is set for an index upstream; ``source_feed`` and ``record`` for a
    feed on this server. ``record`` is the entry the page shows (its sha256 is what
    the saved bytes must match).
    """

    upstream: UpstreamInfo
    record: FileRecord
    remote: RemoteFile | None = None
    source_feed: FeedInfo | None = None

    @property
    def source_url(self) -> str:
        if self.remote is not None:
            return self.remote.url
        assert self.source_feed is not None
        return f"{self.upstream.location}/{self.record.filename}"


@dataclass(frozen=True)
class MergedPackage:
    """A package page's content with upstream files, and where those come from."""

    local: LocalPackage
    listing: PackageListing | None
    remote_files: Mapping[str, RemoteSource] = field(default_factory=dict)
    key: tuple[Hashable, ...] = ()


__all__ = ["MergedPackage", "PackageUpstreaming", "RemoteSource", "UpstreamSpec"]
