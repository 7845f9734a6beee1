"""The frozen records every layer passes around: who calls, which feed, view, upstream
and package. A leaf: it imports nothing from ``quiver.services``, so ``Context``, the
caches and every use case can use these types without importing one another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from quiver.domain.errors import Forbidden, Unauthenticated
from quiver.domain.roles import Scope, Visibility

#: ``Upstream.kind`` of an index reached by URL (the other kind is ``feed``).
KIND_INDEX = "index"


@dataclass(frozen=True)
class Principal:
    """The caller: a user acting through a token, or anonymous (``user_id`` None)."""

    user_id: int | None
    username: str | None = None
    is_admin: bool = False
    scope: Scope | None = None
    token_id: int | None = None
    feed_ids: frozenset[int] | None = None
    expires_at: datetime | None = None
    # the client's address for this request (audit log); set by the API layer
    address: str | None = None

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    def require_user(self) -> int:
        if self.user_id is None:
            raise Unauthenticated("Authentication required: send a personal access token.")
        return self.user_id

    def require_scope(self, scope: Scope) -> None:
        if self.scope is not None and self.scope < scope:
            raise Forbidden(f"This token's scope does not allow this: {scope.label} is needed.")


ANONYMOUS = Principal(user_id=None)


@dataclass(frozen=True)
class FeedRef:
    """A feed as a URL names it: ``org[/project]/feed[@view]``."""

    org: str
    project: str | None
    feed: str
    view: str | None = None

    @property
    def path_key(self) -> str:
        parts = [self.org, self.project, self.feed] if self.project else [self.org, self.feed]
        return "/".join(parts).casefold()

    def __str__(self) -> str:
        base = "/".join(p for p in (self.org, self.project, self.feed) if p)
        return f"{base}@{self.view}" if self.view else base


@dataclass(frozen=True)
class FeedInfo:
    """What the read path needs of a feed."""

    id: int
    org_id: int
    org: str
    project: str | None
    name: str
    visibility: Visibility
    serial: int
    readers_can_save: bool = False
    # set while the feed is in the recycle bin: every read and write is refused
    deleted_at: datetime | None = None
    deleted_by: str | None = None

    @property
    def ref(self) -> str:
        return "/".join(p for p in (self.org, self.project, self.name) if p)


@dataclass(frozen=True)
class ViewInfo:
    """A view other than ``local``; ``visibility`` None means the feed's."""

    id: int
    feed_id: int
    name: str
    visibility: Visibility | None


@dataclass(frozen=True)
class UpstreamInfo:
    """One upstream source of a feed, as the read path and the fetcher need it.

    ``position`` is 0-based (the APIs show it 1-based). ``kind`` is ``index``
    (``url``, optional ``username``/``secret``) or ``feed`` (``source_feed_id``
    through ``source_view``; ``source_ref`` names it, e.g. ``acme/libs@local``).
    """

    id: int
    feed_id: int
    position: int
    name: str
    kind: str
    url: str | None
    username: str | None
    secret: str | None = field(repr=False)
    source_feed_id: int | None
    source_view: str | None
    source_ref: str | None
    created_at: datetime
    follows_pypi: bool = False

    @property
    def has_credentials(self) -> bool:
        return self.username is not None or self.secret is not None

    @property
    def location(self) -> str:
        """The URL of an index, or ``ORG/FEED@VIEW`` of a feed: what a person reads."""
        return self.url if self.kind == KIND_INDEX and self.url else str(self.source_ref)


@dataclass(frozen=True)
class PackageName:
    """A package as the project list shows it."""

    name: str
    normalized: str


@dataclass(frozen=True)
class FileRecord:
    """One distribution file with what index pages and downloads need of it."""

    filename: str
    version: str
    packagetype: str
    size: int | None
    sha256: str
    blob_key: str | None
    requires_python: str | None
    yanked: bool
    yanked_reason: str | None
    uploaded_at: datetime | None
    metadata_sha256: str | None = None
    metadata_blob_key: str | None = None
    metadata_size: int | None = None
    # "local" (published), "upstream" (saved), or "remote" (only at an upstream, not
    # saved yet: no blob; ``blob_key`` is None)
    origin: str = "local"

    @property
    def has_metadata(self) -> bool:
        """Whether the core metadata is served separately (PEP 658)."""
        return self.metadata_sha256 is not None and (
            self.metadata_blob_key is not None or self.origin == "remote"
        )


@dataclass(frozen=True)
class PackageListing:
    """A package page's content: the package, its versions and its files.

    ``tracks`` and ``alternate_locations`` are PEP 708 metadata for pages that show
    files of an upstream index.
    """

    name: str
    normalized: str
    versions: tuple[str, ...]
    files: tuple[FileRecord, ...]
    tracks: tuple[str, ...] = ()
    alternate_locations: tuple[str, ...] = ()


@dataclass(frozen=True)
class LocalPackage:
    """What a feed itself holds of a name: its files (published and saved) and settings.

    ``published`` says a version of it was ever published here (the
    dependency-confusion guard); ``upstream_behavior`` is the owner's choice.
    ``binned`` holds the versions in the feed's recycle bin (``bin_key`` forms): an
    owner deleted them, so upstreams must not bring them back.
    """

    normalized: str
    listing: PackageListing | None
    published: bool
    upstream_behavior: str
    binned: frozenset[str] = frozenset()
