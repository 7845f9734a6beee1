"""A feed's page: its packages, searched by name prefix, filtered by view and origin, and
paged; the package pages (``package_pages``) come with this router.

Path, under ``/{org}`` and ``/{org}/{project}``: ``/_artifacts/feed/{feed}``, with
``?q=`` (name prefix), ``?view=`` (a view of the feed), ``?origin=`` (``local`` or
``upstream``) and ``?page=``. Access is the feed's readers, as for the index; an error
is a page with the error's status.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from quiver.api.deps import get_context
from quiver.api.rest.feeds import base_url
from quiver.api.ui import package_pages
from quiver.api.ui.package_pages import page_ref
from quiver.api.ui.web import error_page, feed_path, page, viewer
from quiver.domain.errors import QuiverError
from quiver.domain.roles import Role
from quiver.domain.snippets import connect_snippets, index_url, upload_url
from quiver.services.feeds import service as feeds
from quiver.services.packages import service as packages

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
QUERY_MAX = 200


def _page_number(text: str) -> int:
    return int(text) if text.isdigit() and 0 < int(text) <= 1_000_000 else 1


@router.get("/_artifacts/feed/{feed}", response_class=HTMLResponse)
async def feed_page(
    request: Request, q: str = "", view: str = "", origin: str = ""
) -> HTMLResponse:
    """The feed's packages, 50 a page (``?page=``), by name prefix (``?q=``), only those
    with a version in a view (``?view=``) or with files of an origin (``?origin=``)."""
    principal, ctx = await viewer(request), get_context(request)
    number = _page_number(request.query_params.get("page", "1"))
    wanted = {
        "q": q.strip()[:QUERY_MAX],
        "view": view.strip()[:QUERY_MAX],
        "origin": origin.strip()[:QUERY_MAX],
    }
    try:
        ref = page_ref(request)
        feed = await feeds.get_feed(ctx, principal, ref)
        listing = await packages.package_page(
            ctx,
            principal,
            ref,
            prefix=wanted["q"],
            view=wanted["view"],
            origin=wanted["origin"],
            offset=(number - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
    except QuiverError as err:
        return error_page(request, principal, err)
    server = base_url(request)
    path = feed_path(feed.org, feed.project, feed.name)
    filtered = any(wanted.values())
    snippets = None
    if listing.total == 0 and not filtered:
        snippets = [
            connect_snippets(server, feed.org, feed.project, feed.name, None, tool)
            for tool in ("twine", "uv")
        ]
    pages = max(1, -(-listing.total // PAGE_SIZE))
    context: dict[str, Any] = {
        "feed": feed,
        "path": path,
        "listing": listing,
        **wanted,
        "views": listing.views[1:],  # every package is in local: no filter there
        "origins": packages.ORIGINS,
        "filtered": filtered,
        "page_no": number,
        "pages": pages,
        "prev_href": _page_href(path, wanted, number - 1) if number > 1 else None,
        "next_href": _page_href(path, wanted, number + 1) if number < pages else None,
        "can_administer": feed.role >= Role.OWNER,
        "index_url": index_url(server, feed.org, feed.project, feed.name, None),
        "upload_url": upload_url(server, feed.org, feed.project, feed.name),
        "snippets": snippets,
    }
    return page(request, "feed.html", principal, context)


def _page_href(path: str, wanted: dict[str, str], number: int) -> str:
    """The link to page ``number`` keeping the search and the filters."""
    query = {key: value for key, value in wanted.items() if value}
    return f"{path}?{urlencode({**query, 'page': str(number)})}"


router.include_router(package_pages.router)
