"""Use cases for a feed's upstream sources: add, list, remove, reorder (feed owners).

Also the per-package upstream behaviour and what the read path needs:
``feed_upstreams`` gives a feed's sources in order as frozen data, cached in
``ctx.access`` and dropped on every change this process makes.

Every change bumps the feed's serial (its index pages depend on the list) and
runs with changes to other feeds' lists serialised, so two concurrent additions
cannot make a cycle between them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import unquote, urlsplit, urlunsplit

from packaging.utils import canonicalize_name
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quiver.domain.errors import DomainError
from quiver.domain.names import split_feed_ref, validate_feed_name
from quiver.domain.roles import Role, Scope, Visibility
from quiver.services.access import FeedInfo, FeedRef, Principal, authorize
from quiver.services.context import Context
from quiver.services.errors import Conflict, Invalid, NotFound
from quiver.services.feeds.models import Feed
from quiver.services.feeds.service import FeedDetails, bump_serial, create_feed
from quiver.services.orgs.models import Organization, Project
from quiver.services.packages.models import Package
from quiver.services.upstreams.models import KIND_FEED, KIND_INDEX, Upstream

MAX_UPSTREAMS = 20
PYPI_ALIAS = "pypi"
LOCAL_VIEW = "local"
URL_MAX = 2048
BEHAVIORS = ("default", "allow-external-versions")
# Serialises changes to upstream lists on PostgreSQL (SQLite serialises writers).
GRAPH_LOCK = 727270004


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

    @property
    def has_credentials(self) -> bool:
        return self.username is not None or self.secret is not None

    @property
    def location(self) -> str:
        """The URL of an index, or ``ORG/FEED@VIEW`` of a feed: what a person reads."""
        return self.url if self.kind == KIND_INDEX and self.url else str(self.source_ref)


@dataclass(frozen=True)
class UpstreamSpec:
    """An upstream source as a caller asks for it: ``url`` (or ``pypi``) or ``feed``."""

    name: str
    url: str | None = None
    feed: str | None = None
    username: str | None = None
    secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class _Resolved:
    """A checked spec, ready to become a row."""

    name: str
    kind: str
    url: str | None = None
    username: str | None = None
    secret: str | None = field(default=None, repr=False)
    source: FeedInfo | None = None
    source_view: str | None = None

    @property
    def identity(self) -> tuple[str, str | int | None, str | None]:
        if self.kind == KIND_INDEX:
            return (KIND_INDEX, self.url, None)
        assert self.source is not None
        return (KIND_FEED, self.source.id, self.source_view)


@dataclass(frozen=True)
class PackageUpstreaming:
    """A package's upstream behaviour in a feed."""

    name: str
    normalized: str
    behavior: str


# --- reading -----------------------------------------------------------------------------------


async def feed_upstreams(ctx: Context, feed_id: int) -> list[UpstreamInfo]:
    """The upstream sources of a feed in order (cached; one query on a miss).

    For the read path: no authorisation here, the caller has checked its own.
    """
    cached = ctx.access.upstreams.get(feed_id)
    if cached is None:
        async with ctx.sessions() as session:
            cached = await _load(session, feed_id)
        ctx.access.upstreams.put(feed_id, cached)
    return list(cached)


async def _load(session: AsyncSession, feed_id: int) -> tuple[UpstreamInfo, ...]:
    rows = (
        await session.scalars(
            select(Upstream).where(Upstream.feed_id == feed_id).order_by(Upstream.position)
        )
    ).all()
    sources = [row.source_feed_id for row in rows if row.source_feed_id is not None]
    refs = await _refs(session, sources)
    return tuple(_info(row, refs) for row in rows)


async def _refs(session: AsyncSession, feed_ids: Sequence[int]) -> dict[int, str]:
    if not feed_ids:
        return {}
    rows = await session.execute(
        select(Feed.id, Organization.name, Project.name, Feed.name)
        .join(Organization, Organization.id == Feed.org_id)
        .outerjoin(Project, Project.id == Feed.project_id)
        .where(Feed.id.in_(set(feed_ids)))
    )
    return {
        feed_id: "/".join(p for p in (org, project, name) if p)
        for feed_id, org, project, name in rows
    }


def _info(row: Upstream, refs: dict[int, str]) -> UpstreamInfo:
    source_ref = None
    if row.source_feed_id is not None:
        base = refs.get(row.source_feed_id, f"feed #{row.source_feed_id}")
        source_ref = f"{base}@{row.source_view}" if row.source_view else base
    return UpstreamInfo(
        id=row.id,
        feed_id=row.feed_id,
        position=row.position,
        name=row.name,
        kind=row.kind,
        url=row.url,
        username=row.username,
        secret=row.secret,
        source_feed_id=row.source_feed_id,
        source_view=row.source_view,
        source_ref=source_ref,
        created_at=row.created_at,
    )


async def list_upstreams(ctx: Context, principal: Principal, ref: FeedRef) -> list[UpstreamInfo]:
    """The feed's upstream sources in order (feed owners)."""
    feed = await _owned(ctx, principal, ref)
    async with ctx.sessions() as session:
        return list(await _load(session, feed.id))


# --- changing ----------------------------------------------------------------------------------


async def add_upstream(
    ctx: Context, principal: Principal, ref: FeedRef, spec: UpstreamSpec
) -> UpstreamInfo:
    """Append an upstream source to the feed's list (feed owners).

    400 for a bad name or address, a 21st source or a cycle; 409 for a name
    (or source) the feed has already; 404/403 for a source feed the caller
    cannot read.
    """
    feed = await _owned(ctx, principal, ref)
    resolved = await _resolve(ctx, principal, spec)
    async with ctx.sessions() as session, session.begin():
        await _lock(session, feed.id)
        rows = await _rows(session, feed.id)
        _check_new(feed, rows, [resolved])
        if resolved.source is not None:
            await _refuse_cycle(session, feed, resolved.source)
        row = _row(feed.id, len(rows), resolved)
        session.add(row)
        try:
            await session.flush()
        except IntegrityError:
            raise Conflict(
                f"Feed {feed.ref} already has an upstream source named {resolved.name}."
            ) from None
        refs = await _refs(session, [row.source_feed_id] if row.source_feed_id else [])
        info = _info(row, refs)
    ctx.access.invalidate()
    return info


async def remove_upstream(ctx: Context, principal: Principal, ref: FeedRef, name: str) -> None:
    """Remove an upstream source (feed owners); files saved from it stay, with their source."""
    feed = await _owned(ctx, principal, ref)
    async with ctx.sessions() as session, session.begin():
        await _lock(session, feed.id)
        rows = await _rows(session, feed.id)
        target = _named(feed, rows, name)
        await session.delete(target)
        await session.flush()
        await _renumber(session, [row for row in rows if row is not target])
    ctx.access.invalidate()


async def move_upstream(
    ctx: Context, principal: Principal, ref: FeedRef, name: str, position: int
) -> list[UpstreamInfo]:
    """Move an upstream source to ``position`` (1-based) in the list; the new list."""
    feed = await _owned(ctx, principal, ref)
    async with ctx.sessions() as session, session.begin():
        await _lock(session, feed.id)
        rows = await _rows(session, feed.id)
        target = _named(feed, rows, name)
        if not 1 <= position <= len(rows):
            raise Invalid(
                f"Position must be between 1 and {len(rows)}: "
                f"feed {feed.ref} has {_count(len(rows))}."
            )
        rest = [row for row in rows if row is not target]
        rest.insert(position - 1, target)
        await _renumber(session, rest)
        refs = await _refs(session, [r.source_feed_id for r in rest if r.source_feed_id])
        result = [_info(row, refs) for row in rest]
    ctx.access.invalidate()
    return result


async def create_feed_with_upstreams(
    ctx: Context,
    principal: Principal,
    ref: FeedRef,
    *,
    upstreams: Sequence[UpstreamSpec],
    description: str | None = None,
    visibility: Visibility = Visibility.PRIVATE,
    readers_can_save: bool = False,
) -> FeedDetails:
    """Create a feed with its upstream sources in one transaction (organization owners).

    Every source is checked before anything is created; a new feed cannot be
    part of a cycle (nothing points to it yet).
    """
    resolved = [await _resolve(ctx, principal, spec) for spec in upstreams]
    _check_new(None, [], resolved, label=str(ref))

    async def add_rows(session: AsyncSession, feed: Feed) -> None:
        for position, item in enumerate(resolved):
            session.add(_row(feed.id, position, item))
        await session.flush()

    return await create_feed(
        ctx,
        principal,
        ref,
        description=description,
        visibility=visibility,
        readers_can_save=readers_can_save,
        also=add_rows if resolved else None,
    )


# --- package upstream behaviour ------------------------------------------------------------------


async def get_package_upstreaming(
    ctx: Context, principal: Principal, ref: FeedRef, package_name: str
) -> PackageUpstreaming:
    """A package's upstream behaviour (readers)."""
    feed = await authorize(ctx, principal, ref, Role.READER)
    async with ctx.sessions() as session:
        package = await _package(session, feed, package_name)
        return PackageUpstreaming(package.name, package.normalized_name, package.upstream_behavior)


async def set_package_upstreaming(
    ctx: Context, principal: Principal, ref: FeedRef, package_name: str, behavior: str
) -> PackageUpstreaming:
    """Set a package's upstream behaviour (feed owners).

    ``default``: once a version is published here, upstream versions of the name
    are hidden; ``allow-external-versions``: they are shown as well.
    """
    behavior = behavior.strip().lower()
    if behavior not in BEHAVIORS:
        raise Invalid(f"Unknown upstream behaviour {behavior!r}: use {' or '.join(BEHAVIORS)}.")
    feed = await _owned(ctx, principal, ref)
    async with ctx.sessions() as session, session.begin():
        package = await _package(session, feed, package_name)
        if package.upstream_behavior != behavior:
            package.upstream_behavior = behavior
            await bump_serial(session, feed.id)
        result = PackageUpstreaming(package.name, package.normalized_name, behavior)
    ctx.access.invalidate()
    return result


async def _package(session: AsyncSession, feed: FeedInfo, package_name: str) -> Package:
    normalized = canonicalize_name(package_name.strip())
    package = await session.scalar(
        select(Package).where(Package.feed_id == feed.id, Package.normalized_name == normalized)
    )
    if package is None:
        raise NotFound(f"Package {package_name} is not in feed {feed.ref}.")
    return package


# --- helpers -------------------------------------------------------------------------------------


async def _owned(ctx: Context, principal: Principal, ref: FeedRef) -> FeedInfo:
    feed = await authorize(ctx, principal, ref, Role.OWNER)
    principal.require_scope(Scope.MANAGE)
    return feed


async def _lock(session: AsyncSession, feed_id: int) -> None:
    """Serialise upstream changes: a cycle check must see every committed edge.

    The first statement writes (the serial), so SQLite takes its write lock now.
    """
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(GRAPH_LOCK)))
    await bump_serial(session, feed_id)


async def _rows(session: AsyncSession, feed_id: int) -> list[Upstream]:
    query = select(Upstream).where(Upstream.feed_id == feed_id).order_by(Upstream.position)
    return list((await session.scalars(query)).all())


def _named(feed: FeedInfo, rows: Sequence[Upstream], name: str) -> Upstream:
    key = name.strip().casefold()
    for row in rows:
        if row.name.casefold() == key:
            return row
    raise NotFound(f"Feed {feed.ref} has no upstream source named {name}.")


def _count(n: int) -> str:
    return f"{n} upstream source" + ("" if n == 1 else "s")


def _check_new(
    feed: FeedInfo | None,
    rows: Sequence[Upstream],
    new: Sequence[_Resolved],
    *,
    label: str | None = None,
) -> None:
    """Names unique (case-insensitively), sources not repeated, at most 20 in all."""
    where = feed.ref if feed is not None else str(label)
    names = {row.name.casefold(): row.name for row in rows}
    identities = {_identity(row): row.name for row in rows}
    for item in new:
        if item.name.casefold() in names:
            raise Conflict(f"Feed {where} already has an upstream source named {item.name}.")
        if item.identity in identities:
            raise Conflict(
                f"Feed {where} already has this upstream source, as {identities[item.identity]}."
            )
        names[item.name.casefold()] = item.name
        identities[item.identity] = item.name
    if len(rows) + len(new) > MAX_UPSTREAMS:
        raise Invalid(
            f"A feed has at most {MAX_UPSTREAMS} upstream sources"
            + (f"; {where} has {len(rows)} already." if rows else ".")
        )


def _identity(row: Upstream) -> tuple[str, str | int | None, str | None]:
    if row.kind == KIND_INDEX:
        return (KIND_INDEX, row.url, None)
    return (KIND_FEED, row.source_feed_id, row.source_view)


def _row(feed_id: int, position: int, item: _Resolved) -> Upstream:
    return Upstream(
        feed_id=feed_id,
        position=position,
        name=item.name,
        kind=item.kind,
        url=item.url,
        username=item.username,
        secret=item.secret,
        source_feed_id=item.source.id if item.source is not None else None,
        source_view=item.source_view,
    )


async def _renumber(session: AsyncSession, rows: Sequence[Upstream]) -> None:
    """Positions 0..n-1 in the given order, in two steps so (feed, position) stays unique."""
    for index, row in enumerate(rows):
        row.position = -1 - index
    await session.flush()
    for index, row in enumerate(rows):
        row.position = index
    await session.flush()


async def _refuse_cycle(session: AsyncSession, feed: FeedInfo, source: FeedInfo) -> None:
    """400 when ``feed`` is reachable from ``source`` through feed-kind upstreams."""
    edges: dict[int, list[int]] = {}
    rows = await session.execute(
        select(Upstream.feed_id, Upstream.source_feed_id).where(Upstream.kind == KIND_FEED)
    )
    for downstream, upstream in rows:
        if upstream is not None:
            edges.setdefault(downstream, []).append(upstream)
    # Breadth-first from the source; ``came_from`` rebuilds the path found.
    came_from: dict[int, int | None] = {source.id: None}
    queue = [source.id]
    while queue:
        current = queue.pop(0)
        if current == feed.id:
            path = [current]
            while (previous := came_from[path[-1]]) is not None:
                path.append(previous)
            path.reverse()  # source ... feed
            names = await _refs(session, path)
            chain = " → ".join([feed.ref, *(names.get(i, f"feed #{i}") for i in path)])
            raise Invalid(
                f"Feed {source.ref} cannot be an upstream source of {feed.ref}: "
                f"it would make a cycle: {chain}."
            )
        for following in edges.get(current, []):
            if following not in came_from:
                came_from[following] = current
                queue.append(following)


# --- what a caller asked for, checked ------------------------------------------------------------


async def _resolve(ctx: Context, principal: Principal, spec: UpstreamSpec) -> _Resolved:
    name = _valid_name(spec.name)
    if (spec.url is None) == (spec.feed is None):
        raise Invalid(
            f"Upstream source {name}: give either url (an index, or 'pypi') or feed "
            "(ORG/FEED@VIEW on this server)."
        )
    if spec.url is not None:
        url, username, secret = _index_url(ctx, spec.url)
        if username is not None or secret is not None:
            if spec.username is not None or spec.secret is not None:
                raise Invalid(
                    f"Upstream source {name}: give credentials in the URL or separately, not both."
                )
        else:
            username, secret = spec.username, spec.secret
        username = username or None
        secret = secret or None
        if username is not None and len(username) > 255:
            raise Invalid("The upstream user name must be at most 255 characters.")
        if secret is not None and len(secret) > 1024:
            raise Invalid("The upstream password must be at most 1024 characters.")
        return _Resolved(name, KIND_INDEX, url=url, username=username, secret=secret)
    assert spec.feed is not None
    if spec.username is not None or spec.secret is not None:
        raise Invalid(
            f"Upstream source {name}: a feed on this server takes no credentials; "
            "your access to it is checked instead."
        )
    source, view = await _source_feed(ctx, principal, spec.feed)
    return _Resolved(name, KIND_FEED, source=source, source_view=view)


def _valid_name(name: str) -> str:
    name = name.strip()
    try:
        validate_feed_name(name)
    except DomainError as err:
        raise Invalid(str(err).replace("Feed name", "Upstream name", 1)) from None
    return name


def _index_url(ctx: Context, text: str) -> tuple[str, str | None, str | None]:
    """``(url, username, secret)``: the normalized index URL and any credentials it held.

    ``pypi`` means the configured public index. Only http(s) URLs with a host,
    without spaces, a query or a fragment; the path ends with ``/``.
    """
    text = text.strip()
    if text.casefold() == PYPI_ALIAS:
        text = ctx.settings.pypi_url
    shown = _redact(text)
    if not text or any(ch.isspace() or not ch.isprintable() for ch in text):
        raise Invalid(f"Invalid upstream URL {shown!r}: it must not contain spaces.")
    if len(text) > URL_MAX:
        raise Invalid(f"An upstream URL must be at most {URL_MAX} characters.")
    try:
        parts = urlsplit(text)
        host = parts.hostname
        port = parts.port
    except ValueError:
        raise Invalid(f"Invalid upstream URL {shown!r}.") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise Invalid(
            f"Invalid upstream URL {shown!r}: use an http:// or https:// index URL "
            "(or 'pypi', or ORG/FEED@VIEW for a feed on this server)."
        )
    if not host:
        raise Invalid(f"Invalid upstream URL {shown!r}: it has no host.")
    if parts.query or parts.fragment:
        raise Invalid(f"Invalid upstream URL {shown!r}: it must not have a query or fragment.")
    username = unquote(parts.username) if parts.username is not None else None
    secret = unquote(parts.password) if parts.password is not None else None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return urlunsplit((parts.scheme.lower(), netloc, path, "", "")), username, secret


def _redact(url: str) -> str:
    """``url`` without credentials, for messages."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


async def _source_feed(ctx: Context, principal: Principal, text: str) -> tuple[FeedInfo, str]:
    """The feed (and view) ``ORG/FEED@VIEW`` names, if the caller can read it."""
    try:
        org, project, name, view = split_feed_ref(text)
    except DomainError as err:
        raise Invalid(str(err)) from None
    source = await authorize(ctx, principal, FeedRef(org, project, name), Role.READER)
    view = view or LOCAL_VIEW
    if view.casefold() != LOCAL_VIEW:
        raise Invalid(
            f"View {view} does not exist on feed {source.ref}: "
            f"only @{LOCAL_VIEW} (what was published or saved there) exists for now."
        )
    return source, LOCAL_VIEW


__all__ = [
    "BEHAVIORS",
    "MAX_UPSTREAMS",
    "PackageUpstreaming",
    "UpstreamInfo",
    "UpstreamSpec",
    "add_upstream",
    "create_feed_with_upstreams",
    "feed_upstreams",
    "get_package_upstreaming",
    "list_upstreams",
    "move_upstream",
    "remove_upstream",
    "set_package_upstreaming",
]
