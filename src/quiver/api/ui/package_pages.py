"""A package's page: its versions (with their views) and files (with their Python tag and
platform), one version's details and README, install lines, and, for those who may change
the version, its actions (promote, demote, yank, un-yank, delete; ``package_actions``).

Paths, under ``/{org}`` and ``/{org}/{project}``: ``/_artifacts/feed/{feed}/package/{name}``
and ``…/package/{name}/v/{version}``. Access is the feed's readers, as for the index; an
error is a page with the error's status. ``feeds_pages`` includes this router.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from quiver.api.deps import feed_ref, get_context
from quiver.api.rest.feeds import base_url
from quiver.api.ui.readme import render_readme
from quiver.api.ui.web import error_page, feed_path, page, viewer
from quiver.domain.details import ProjectDetails
from quiver.domain.errors import NotFound, QuiverError
from quiver.domain.roles import Role
from quiver.domain.snippets import index_url, source_name
from quiver.domain.versions import MAX_REASON
from quiver.services.feeds import service as feeds
from quiver.services.feeds.records import FeedDetails
from quiver.services.packages import service as packages
from quiver.services.packages.records import PackageVersions, VersionEntry, VersionFile
from quiver.services.records import FeedRef
from quiver.services.views import service as views
from quiver.services.views.models import LOCAL_VIEW

router = APIRouter(include_in_schema=False)
PACKAGE = "/_artifacts/feed/{feed}/package/{name}"
VERSION = PACKAGE + "/v/{version}"


def page_ref(request: Request) -> FeedRef:
    """The feed of a page's path; NotFound for a view (``feed@view``): views have no page."""
    ref = feed_ref(request)
    if ref.view is not None:
        raise NotFound("Views have no web page yet: open the feed itself.")
    return ref


def package_path(ref: FeedRef, name: str, version: str | None = None) -> str:
    """The URL path of a package's page, or of one version's page."""
    path = f"{feed_path(ref.org, ref.project, ref.feed)}/package/{quote(name, safe='')}"
    return path if version is None else f"{path}/v/{quote(version, safe='')}"


@router.get(PACKAGE, response_class=HTMLResponse)
@router.get(VERSION, response_class=HTMLResponse)
async def package_page(request: Request, name: str, version: str | None = None) -> HTMLResponse:
    """A package's versions and files, and one version's details (the newest by default)."""
    principal, ctx = await viewer(request), get_context(request)
    try:
        ref = page_ref(request)
        feed = await feeds.get_feed(ctx, principal, ref)
        versions = await packages.list_versions(ctx, principal, ref, name)
        chosen = version if version is not None else _newest(versions).version
        details = await packages.version_details(ctx, principal, ref, name, chosen)
        entry = _entry(versions, details.version)
        chosen = entry.version
        feed_views = [view.name for view in await views.feed_views(ctx, feed.id)]
    except QuiverError as err:
        return error_page(request, principal, err)
    path = feed_path(feed.org, feed.project, feed.name)
    described = details.details
    readme = None
    if described is not None:
        readme = await asyncio.to_thread(
            render_readme, described.description, described.description_content_type
        )
    index = index_url(base_url(request), feed.org, feed.project, feed.name, None)
    context: dict[str, Any] = {
        "feed": feed,
        "path": path,
        "package": versions,
        "versions": list(reversed(versions.versions)),
        "details": details,
        "described": described,
        "readme": readme,
        "dependencies": _dependencies(described, path),
        "urls": _urls(described),
        "install": _install_lines(index, feed.name, versions.name, details.version),
        "files": [_file_row(file) for file in entry.files],
        "actions": _actions(feed, entry, feed_views, package_path(ref, versions.name, chosen)),
    }
    return page(request, "package.html", principal, context)


def _newest(versions: PackageVersions) -> VersionEntry:
    """The newest version not yanked, else the newest (versions come in PEP 440 order)."""
    live = [entry for entry in versions.versions if not entry.yanked]
    return (live or list(versions.versions))[-1]


def _entry(versions: PackageVersions, version: str) -> VersionEntry:
    """The listed entry of ``version`` (NotFound if it went since the details were read)."""
    for entry in versions.versions:
        if entry.version == version:
            return entry
    raise NotFound(f"Version {version} of {versions.name} is not in feed {versions.feed}.")


def _file_row(file: VersionFile) -> dict[str, Any]:
    """A file with its Python tag and platform from its name (``source`` for an sdist)."""
    python, platform = "source", "—"
    if file.filename.endswith(".whl"):
        try:
            tags = parse_wheel_filename(file.filename)[3]
        except InvalidWheelFilename:
            python = platform = "—"
        else:
            python = ".".join(sorted({tag.interpreter for tag in tags}))
            platform = ", ".join(sorted({tag.platform for tag in tags}))
    return {"file": file, "python": python, "platform": platform}


def _actions(
    feed: FeedDetails, entry: VersionEntry, names: list[str], path: str
) -> dict[str, Any] | None:
    """What the viewer may do to the version, by the services' rules (contributors promote,
    yank and un-yank; owners also demote and delete); None for readers. The services
    refuse anyone else whatever the page shows."""
    if feed.role < Role.CONTRIBUTOR:
        return None
    held = {view.casefold() for view in entry.views}
    owner = feed.role >= Role.OWNER
    return {
        "path": path,
        "promote": [name for name in names if name.casefold() not in held],
        "demote": [view for view in entry.views if view != LOCAL_VIEW] if owner else [],
        "yanked": entry.yanked,
        "delete": owner,
        "reason_max": MAX_REASON,
    }


def _dependencies(described: ProjectDetails | None, path: str) -> list[dict[str, Any]]:
    """Each dependency with a link to its package page in this feed (when its name parses)."""
    if described is None:
        return []
    return [
        {
            "requirement": dep.requirement,
            "extra": dep.extra,
            "href": f"{path}/package/{quote(dep.name, safe='')}" if dep.name else None,
        }
        for dep in described.dependencies
    ]


def _urls(described: ProjectDetails | None) -> list[tuple[str, str, bool]]:
    """Project URLs as (label, url, linkable): only http(s) URLs become links, so metadata
    cannot plant ``javascript:`` links."""
    if described is None:
        return []
    return [
        (label, url, urlsplit(url).scheme.lower() in ("http", "https"))
        for label, url in described.project_urls
    ]


def _install_lines(index: str, feed: str, name: str, version: str) -> list[tuple[str, str]]:
    """(tool, command) pairs installing this version from the feed."""
    pin = f'"{name}=={version}"'
    source = source_name(feed)
    return [
        ("pip", f"pip install --index-url {index} {pin}"),
        ("uv", f"uv pip install --index-url {index} {pin}"),
        (
            "poetry",
            f"poetry source add --priority=primary {source} {index}\n"
            f"poetry add --source {source} {pin}",
        ),
    ]
