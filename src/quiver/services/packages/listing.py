"""A feed's packages for its web page: one page of them, filtered, paged in SQL.

Each row says, for every view holding a version of the package, that view's newest
version (the newest not yanked, when there is one), where its files came from
(``local`` and/or the names of the upstream sources they were saved from), its
downloads and its newest file. Four queries a page whatever the feed's size (count,
the page's packages, their files' totals by origin, their versions with their views),
so the page stays fast for feeds of thousands of packages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from packaging.utils import canonicalize_name
from sqlalchemy import Row, Select, exists, func, select
from sqlalchemy.sql.elements import ColumnElement

from quiver.domain.errors import Invalid, NotFound
from quiver.domain.roles import Role
from quiver.services.access import authorize
from quiver.services.context import Context
from quiver.services.index.service import live, version_key
from quiver.services.packages.models import File, Package, Version
from quiver.services.packages.records import PackagePage, PackageRow
from quiver.services.publish.service import ORIGIN_LOCAL, ORIGIN_UPSTREAM
from quiver.services.records import FeedInfo, FeedRef, Principal
from quiver.services.views.models import LOCAL_VIEW, FeedView, ViewVersion
from quiver.services.views.queries import feed_views, find_view, is_local

ORIGINS = (ORIGIN_LOCAL, ORIGIN_UPSTREAM)
PREFIX_MAX = 200


async def package_page(
    ctx: Context,
    principal: Principal,
    ref: FeedRef,
    *,
    prefix: str = "",
    view: str | None = None,
    origin: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> PackagePage:
    """``limit`` packages of the feed from ``offset``, by normalized name (readers).

    Only packages whose normalized name starts with ``prefix``'s, that have a version in
    ``view`` (None, "" or ``local``: any), and files of ``origin`` (``local`` or
    ``upstream``; None or "": any). NotFound for a view the feed lacks; Invalid for
    another origin.
    """
    feed = await authorize(ctx, principal, FeedRef(ref.org, ref.project, ref.feed), Role.READER)
    conditions = await _conditions(ctx, feed, prefix, view, origin)
    views = (LOCAL_VIEW, *(found.name for found in await feed_views(ctx, feed.id)))
    count_query = select(func.count()).select_from(Package).where(*conditions)
    page_query = (
        select(Package.id, Package.name, Package.normalized_name)
        .where(*conditions)
        .order_by(Package.normalized_name)
        .offset(max(offset, 0))
        .limit(limit)
    )
    async with ctx.sessions() as session:
        total = int(await session.scalar(count_query) or 0)
        packages = (await session.execute(page_query)).all()
        ids = [row[0] for row in packages]
        totals = (await session.execute(_totals_query(feed, ids))).all() if ids else []
        versions = (await session.execute(_versions_query(feed, ids))).all() if ids else []
    rows = _rows(packages, totals, versions, views)
    return PackagePage(feed.ref, total, tuple(rows), views)


async def _conditions(
    ctx: Context, feed: FeedInfo, prefix: str, view: str | None, origin: str | None
) -> list[ColumnElement[bool]]:
    """The WHERE clauses of the page's packages: in the feed, with files, and the filters."""
    wanted_origin = (origin or "").strip().lower()
    if wanted_origin and wanted_origin not in ORIGINS:
        raise Invalid(f"Unknown origin {origin!r}: use local or upstream.")
    # No ``File.feed_id`` test here: a version's files are always in its package's feed,
    # and with it SQLite walks the feed's every file for each package (files by feed_id)
    # instead of the package's versions and their files: 1 s instead of ms at 5,000 files.
    files = exists().where(
        Version.package_id == Package.id,
        live(),
        File.version_id == Version.id,
        *((File.origin == wanted_origin,) if wanted_origin else ()),
    )
    conditions: list[ColumnElement[bool]] = [Package.feed_id == feed.id, files]
    wanted = canonicalize_name(prefix.strip()[:PREFIX_MAX]) if prefix.strip() else ""
    if wanted:
        conditions.append(Package.normalized_name.like(_like_prefix(wanted), escape="\\"))
    name = (view or "").strip()
    if name and not is_local(name):
        found = await find_view(ctx, feed.id, name)
        if found is None:
            raise NotFound(f"View {name} does not exist in feed {feed.ref}.")
        conditions.append(
            exists().where(
                ViewVersion.view_id == found.id,
                ViewVersion.version_id == Version.id,
                Version.package_id == Package.id,
                live(),
            )
        )
    return conditions


def _like_prefix(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _totals_query(feed: FeedInfo, ids: list[int]) -> Select[int, str, str | None, int, datetime]:
    """Per package and origin (upstream by name): downloads and the newest file."""
    return (
        select(
            Version.package_id,
            File.origin,
            File.upstream_name,
            func.sum(File.download_count),
            func.max(File.uploaded_at),
        )
        .join(File, File.version_id == Version.id)
        .where(Version.package_id.in_(ids), live())  # the feed's: see _conditions
        .group_by(Version.package_id, File.origin, File.upstream_name)
    )


def _versions_query(feed: FeedInfo, ids: list[int]) -> Select[int, str, bool, str | None, str]:
    """The packages' live versions with files, once per view they are in (None: none)."""
    has_files = exists().where(File.version_id == Version.id)  # the feed's: see _conditions
    return (
        select(Version.package_id, Version.version, Version.yanked, Version.summary, FeedView.name)
        .outerjoin(ViewVersion, ViewVersion.version_id == Version.id)
        .outerjoin(FeedView, FeedView.id == ViewVersion.view_id)
        .where(Version.package_id.in_(ids), live(), has_files)
    )


_Listed = Row[int, str, str]  # package id, name, normalized name
_Total = Row[int, str, str | None, int, datetime]  # sums and maxima of one origin's files
_Held = Row[int, str, bool, str | None, str]  # a version and one view of it (outer join)


@dataclass
class _Gathered:
    """What the queries told about one package, before it becomes a row."""

    origins: set[str] = field(default_factory=set)
    downloads: int = 0
    updated_at: datetime | None = None
    # version text -> (yanked, summary); and the views of each version
    versions: dict[str, tuple[bool, str | None]] = field(default_factory=dict)
    views: dict[str, set[str]] = field(default_factory=dict)


def _rows(
    packages: Sequence[_Listed],
    totals: Sequence[_Total],
    versions: Sequence[_Held],
    views: tuple[str, ...],
) -> list[PackageRow]:
    gathered: dict[int, _Gathered] = {row[0]: _Gathered() for row in packages}
    for package_id, origin, upstream_name, downloads, newest in totals:
        info = gathered[package_id]
        info.origins.add(ORIGIN_LOCAL if origin == ORIGIN_LOCAL else upstream_name or origin)
        info.downloads += int(downloads or 0)
        if newest is not None and (info.updated_at is None or newest > info.updated_at):
            info.updated_at = newest
    for package_id, version, yanked, summary, view in versions:
        info = gathered[package_id]
        info.versions[version] = (yanked, summary)
        info.views.setdefault(version, {LOCAL_VIEW})
        if view is not None:
            info.views[version].add(view)
    rows = []
    for package_id, name, normalized in packages:
        info = gathered[package_id]
        if not info.versions or info.updated_at is None:
            continue  # its last file went between the queries
        latest = _latest_by_view(info, views)
        upstreams = sorted(info.origins - {ORIGIN_LOCAL})
        origins = (ORIGIN_LOCAL, *upstreams) if ORIGIN_LOCAL in info.origins else tuple(upstreams)
        rows.append(
            PackageRow(
                name=name,
                normalized=normalized,
                latest=latest,
                summary=info.versions[latest[0][1]][1],
                origins=origins,
                downloads=info.downloads,
                updated_at=info.updated_at,
            )
        )
    return rows


def _latest_by_view(info: _Gathered, views: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(view, newest version) for each view holding a version, ``local`` first; the
    newest not yanked when the view has one, else the newest."""
    found = []
    for view in views:
        held = [version for version, names in info.views.items() if view in names]
        if held:
            newest = max(held, key=lambda v: (not info.versions[v][0], version_key(v)))
            found.append((view, newest))
    return tuple(found)


__all__ = ["ORIGINS", "package_page"]
