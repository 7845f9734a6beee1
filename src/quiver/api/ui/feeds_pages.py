"""A feed's page (its packages, searched by name prefix and paged) and a package's page
(its versions and files, one version's details and README, install lines).

Paths, under ``/{org}`` and ``/{org}/{project}``: ``/_artifacts/feed/{feed}``,
``…/package/{name}`` and ``…/package/{name}/v/{version}``. Access is the feed's
readers, as for the index; an error is a page with the error's status.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from quiver.api.deps import feed_ref, get_context
from quiver.api.rest.feeds import base_url
from quiver.api.ui.readme import render_readme
from quiver.api.ui.web import error_page, feed_path, page, viewer
from quiver.domain.details import ProjectDetails
from quiver.domain.errors import NotFound, QuiverError
from quiver.domain.snippets import connect_snippets, index_url, source_name, upload_url
from quiver.services.feeds import service as feeds
from quiver.services.packages import service as packages
from quiver.services.packages.records import PackageVersions, VersionEntry
from quiver.services.records import FeedRef

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
QUERY_MAX = 200


def _ref(request: Request) -> FeedRef:
    ref = feed_ref(request)
    if ref.view is not None:
        raise NotFound("Views have no web page yet: open the feed itself.")
    return ref


def _page_number(text: str) -> int:
    return int(text) if text.isdigit() and 0 < int(text) <= 1_000_000 else 1


@router.get("/_artifacts/feed/{feed}", response_class=HTMLResponse)
async def feed_page(request: Request, q: str = "") -> HTMLResponse:
    """The feed's packages, 50 a page (``?page=``), by name prefix (``?q=``)."""
    principal, ctx = await viewer(request), get_context(request)
    number = _page_number(request.query_params.get("page", "1"))
    prefix = q.strip()[:QUERY_MAX]
    try:
        ref = _ref(request)
        feed = await feeds.get_feed(ctx, principal, ref)
        listing = await packages.package_page(
            ctx, principal, ref, prefix=prefix, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE
        )
    except QuiverError as err:
        return error_page(request, principal, err)
    server = base_url(request)
    snippets = None
    if listing.total == 0 and not prefix:
        snippets = [
            connect_snippets(server, feed.org, feed.project, feed.name, None, tool)
            for tool in ("twine", "uv")
        ]
    pages = max(1, -(-listing.total // PAGE_SIZE))
    context: dict[str, Any] = {
        "feed": feed,
        "path": feed_path(feed.org, feed.project, feed.name),
        "listing": listing,
        "q": prefix,
        "page_no": number,
        "pages": pages,
        "index_url": index_url(server, feed.org, feed.project, feed.name, None),
        "upload_url": upload_url(server, feed.org, feed.project, feed.name),
        "snippets": snippets,
    }
    return page(request, "feed.html", principal, context)


@router.get("/_artifacts/feed/{feed}/package/{name}", response_class=HTMLResponse)
@router.get("/_artifacts/feed/{feed}/package/{name}/v/{version}", response_class=HTMLResponse)
async def package_page(request: Request, name: str, version: str | None = None) -> HTMLResponse:
    """A package's versions and files, and one version's details (the newest by default)."""
    principal, ctx = await viewer(request), get_context(request)
    try:
        ref = _ref(request)
        feed = await feeds.get_feed(ctx, principal, ref)
        versions = await packages.list_versions(ctx, principal, ref, name)
        chosen = version if version is not None else _newest(versions).version
        details = await packages.version_details(ctx, principal, ref, name, chosen)
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
    }
    return page(request, "package.html", principal, context)


def _newest(versions: PackageVersions) -> VersionEntry:
    """The newest version not yanked, else the newest (versions come in PEP 440 order)."""
    live = [entry for entry in versions.versions if not entry.yanked]
    return (live or list(versions.versions))[-1]


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
