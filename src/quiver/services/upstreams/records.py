"""What the upstreams use cases take and return (``UpstreamInfo``, one source of a feed,
is shared: ``quiver.services.records``)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

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


# An upstream's health (``UpstreamHealth.state``).
HEALTH_OK = "ok"  # the last fetch from the index succeeded
HEALTH_ERROR = "error"  # the last fetch failed
HEALTH_UNCHECKED = "unchecked"  # nothing fetched from it since it was added
HEALTH_LOCAL = "local"  # a feed of this server: nothing to fetch, no health kept


@dataclass(frozen=True)
class UpstreamHealth:
    """How an upstream source has been answering.

    ``last_ok_at``: the last page fetched from it successfully (a "not found" counts:
    the index answered); ``last_error_at``/``last_error``: the last failure, one
    sentence without credentials. The failure is kept as history once the source
    answers again: ``state`` is ``ok`` while ``last_ok_at`` is the later time. A feed
    of this server (``local``) has no health: its times are always None.
    """

    state: str
    last_ok_at: datetime | None = None
    last_error_at: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class UpstreamStatus:
    """An upstream source and its health, as the management APIs list them."""

    info: UpstreamInfo
    health: UpstreamHealth


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


__all__ = [
    "HEALTH_ERROR",
    "HEALTH_LOCAL",
    "HEALTH_OK",
    "HEALTH_UNCHECKED",
    "MergedPackage",
    "PackageUpstreaming",
    "RemoteSource",
    "UpstreamHealth",
    "UpstreamSpec",
    "UpstreamStatus",
]
