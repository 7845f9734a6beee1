"""The web pages' router: home (``/``), the stylesheet (``/_static/``), sign-in and
sign-out (``auth_pages``), feed and package pages (``feeds_pages``).

``app.py`` includes ``router`` after every other route, so the REST API, the index and
the upload API keep their paths; these pages use only ``/``, ``/_auth/…``, ``/_static/…``
and ``/{org}[/{project}]/_artifacts/…``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from quiver.api.deps import get_context
from quiver.api.ui import (
    auth_pages,
    bin_pages,
    connect_pages,
    feeds_pages,
    org_pages,
    package_actions,
    settings_pages,
    tokens_pages,
    users_pages,
)
from quiver.api.ui.web import page, viewer
from quiver.domain.errors import NotFound
from quiver.services.feeds import service as feeds
from quiver.services.orgs import service as orgs

router = APIRouter(include_in_schema=False)
router.include_router(auth_pages.router)
router.include_router(tokens_pages.router)
router.include_router(users_pages.router)
for _prefix in ("/{org}", "/{org}/{project}"):
    for _feature in (feeds_pages, package_actions, connect_pages, settings_pages, bin_pages):
        router.include_router(_feature.router, prefix=_prefix)

STATIC_DIR = Path(__file__).with_name("static")
STATIC_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
# Read once: a handful of small files; their URLs carry the version (?v=), so a day's cache
# is safe and an upgrade is seen at once.
STATIC = {
    path.name: path.read_bytes() for path in STATIC_DIR.iterdir() if path.suffix in STATIC_TYPES
}
QUERY_MAX = 64


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, q: str = "") -> HTMLResponse:
    """The feeds the visitor may read, by organization and project; ``q`` filters by name.
    Signed in: also the organizations they belong to (administrators: all, and a form
    that creates one)."""
    principal = await viewer(request)
    query = q.strip()[:QUERY_MAX]
    ctx = get_context(request)
    cards = await feeds.readable_feeds(ctx, principal, query)
    groups: dict[str, list[object]] = {}
    for card in cards:
        scope = card.org if card.project is None else f"{card.org}/{card.project}"
        groups.setdefault(scope, []).append(card)
    # The signed-in person's organizations, so one without feeds yet is reachable too.
    memberships = await orgs.list_orgs(ctx, principal) if principal.authenticated else []
    context = {"groups": groups, "q": query, "orgs": [org.name for org in memberships]}
    return page(request, "home.html", principal, context)


@router.get("/_static/{name}")
async def static(name: str) -> Response:
    """A stylesheet or icon of the pages, cached for a day."""
    body = STATIC.get(name)
    if body is None:
        raise NotFound(f"Nothing here: /_static/{name}")
    headers = {
        "Cache-Control": "public, max-age=86400",
        "ETag": '"' + hashlib.sha256(body).hexdigest()[:32] + '"',
        "X-Content-Type-Options": "nosniff",
    }
    return Response(body, media_type=STATIC_TYPES[Path(name).suffix], headers=headers)


# Last: ``/{org}`` and ``/{org}/{project}`` would otherwise catch ``/_static/…`` and the rest
# (org and project names never start with "_", so no page of theirs is hidden).
router.include_router(org_pages.router)
