"""The install side: ``.../pypi/simple/`` (PEP 503/691/700) and the files under it.

Mounted under ``/{org}`` and ``/{org}/{project}``. Every route needs the reader
role on the feed. Pages are rendered once per change of the feed and kept as
bytes in ``ctx.pages`` under ``(feed id, view, serial, name, body format, encoding)``;
a request that hits the cache does no SQL beyond the (cached) access checks.
The ETag is a digest of the page's bytes (plus the variant), so it is the same
on every process and can never repeat for different content after a database
is rebuilt.

Non-normalized package names and missing trailing slashes are answered with a
301 to the canonical URL. ``Location`` is a relative reference, so it is right
behind any proxy prefix; the query string is kept.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Awaitable, Callable, Hashable
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from packaging.utils import canonicalize_name

from quiver.api.deps import ContextDep, FeedRefDep, PrincipalDep
from quiver.api.errors import error_response
from quiver.api.index_files import send_file
from quiver.api.index_render import render_package, render_project_list
from quiver.api.index_upstream import send_upstream_file
from quiver.api.negotiation import VARY, NotAcceptable, accepts_gzip, etag_matches, negotiate
from quiver.domain.errors import NotFound
from quiver.domain.roles import Visibility
from quiver.services.caches import CachedPage
from quiver.services.context import Context
from quiver.services.index.service import list_package_names, view_package
from quiver.services.records import FeedInfo, FeedRef, Principal, ViewInfo
from quiver.services.upstreams.service import merged_package
from quiver.services.views.service import readable_view

router = APIRouter(include_in_schema=False)
SIMPLE = "/_packaging/{feed}/pypi/simple"
GET_HEAD = ["GET", "HEAD"]
FormatParam = Annotated[str | None, Query(alias="format")]


async def readable_feed(ctx: Context, principal: Principal, ref: FeedRef) -> FeedInfo:
    """The feed, if the caller may read it (through the view ``ref`` names, if any).

    A view with a visibility of its own may be readable where its feed is not
    (``quiver.services.views.queries``).
    """
    feed, _view = await readable_view(ctx, principal, ref)
    return feed


def view_key(view: ViewInfo | None) -> str:
    """The part of page cache keys and ETags naming the view ("" for ``local``)."""
    return "" if view is None else f"@{view.id}"


def redirect(request: Request, target: str) -> RedirectResponse:
    """301 to ``target`` (relative to the request URL), keeping the query string."""
    query = request.url.query
    return RedirectResponse(target + (f"?{query}" if query else ""), status_code=301)


def page_cache_control(feed: FeedInfo) -> str:
    base = "max-age=0, must-revalidate"
    return base if feed.visibility is Visibility.PUBLIC else f"private, {base}"


async def serve_page(
    request: Request,
    ctx: Context,
    feed: FeedInfo,
    page: str,
    format_param: str | None,
    render: Callable[[str], Awaitable[bytes | None]],
    upstream_key: tuple[Hashable, ...] = (),
    view: ViewInfo | None = None,
) -> Response:
    """Negotiate, then answer from the page cache (filling it with ``render`` on a miss).

    ``page`` is the cache's name for the page ("" for the list); ``render`` gets the
    body format and returns None when the page does not exist (404).
    ``upstream_key`` names the upstream answers the page shows (part of the cache
    key and the ETag); ``view`` is the view the page is read through (None: ``local``).
    """
    try:
        rep = negotiate(request.headers.get("accept"), format_param)
    except NotAcceptable as err:
        response = error_response(406, str(err))
        response.headers["Vary"] = VARY
        return response
    use_gzip = accepts_gzip(request.headers.get("accept-encoding"))
    seen = view_key(view)
    base = (feed.id, seen, feed.serial, upstream_key, page, rep.body_format)
    cached = ctx.pages.get((*base, "gzip" if use_gzip else "identity"))
    if cached is None:
        plain = await render(rep.body_format)
        if plain is None:
            if view is not None:
                raise NotFound(f"Package {page} is not in view {view.name} of feed {feed.ref}.")
            raise NotFound(f"Package {page} does not exist in feed {feed.ref}.")
        digest = hashlib.blake2b(plain, digest_size=9).hexdigest()
        packed = CachedPage(gzip.compress(plain, mtime=0), digest)
        ctx.pages.put((*base, "identity"), CachedPage(plain, digest))
        ctx.pages.put((*base, "gzip"), packed)
        cached = packed if use_gzip else CachedPage(plain, digest)
    body, digest = cached.body, cached.digest
    # The ETag is a digest of the page itself: equal pages, equal tags, on any server,
    # and a rebuilt database can never answer 304 for a page a client cached before.
    etag = f'"{digest}.{rep.tag}{".gz" if use_gzip else ""}"'
    headers = {
        "ETag": etag,
        "Vary": VARY,
        "Cache-Control": page_cache_control(feed),
        "X-PyPI-Last-Serial": str(feed.serial),
    }
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    headers["Content-Type"] = rep.content_type
    headers["Content-Length"] = str(len(body))
    if use_gzip:
        headers["Content-Encoding"] = "gzip"
    return Response(b"" if request.method == "HEAD" else body, headers=headers)


@router.api_route(SIMPLE, methods=GET_HEAD)
async def simple_without_slash(request: Request) -> Response:
    return redirect(request, "simple/")


@router.api_route(SIMPLE + "/", methods=GET_HEAD)
async def project_list(
    request: Request,
    ctx: ContextDep,
    principal: PrincipalDep,
    ref: FeedRefDep,
    format_param: FormatParam = None,
) -> Response:
    """Every package in the feed, or in the view (PEP 503 / PEP 691)."""
    feed, view = await readable_view(ctx, principal, ref)
    view_id = None if view is None else view.id

    async def render(body_format: str) -> bytes:
        return render_project_list(await list_package_names(ctx, feed, view_id), body_format)

    return await serve_page(request, ctx, feed, "", format_param, render, view=view)


@router.api_route(SIMPLE + "/{name}", methods=GET_HEAD)
async def package_without_slash(
    request: Request, ctx: ContextDep, principal: PrincipalDep, ref: FeedRefDep, name: str
) -> Response:
    await readable_view(ctx, principal, ref)
    return redirect(request, quote(canonicalize_name(name), safe="") + "/")


@router.api_route(SIMPLE + "/{name}/", methods=GET_HEAD)
async def package_page(
    request: Request,
    ctx: ContextDep,
    principal: PrincipalDep,
    ref: FeedRefDep,
    name: str,
    format_param: FormatParam = None,
) -> Response:
    """One package's files (PEP 503 / 691 / 700, with PEP 658 metadata hashes).

    Through a view: only the files of versions promoted to it, never upstream files.
    """
    feed, view = await readable_view(ctx, principal, ref)
    normalized = canonicalize_name(name)
    if normalized != name:
        return redirect(request, f"../{quote(normalized, safe='')}/")
    if view is not None:
        promoted = await view_package(ctx, feed, view.id, normalized)

        async def render_view(body_format: str) -> bytes | None:
            return None if promoted is None else render_package(promoted, body_format)

        return await serve_page(
            request, ctx, feed, normalized, format_param, render_view, view=view
        )

    merged = await merged_package(ctx, feed, normalized)

    async def render(body_format: str) -> bytes | None:
        listing = merged.listing
        return None if listing is None else render_package(listing, body_format)

    return await serve_page(request, ctx, feed, normalized, format_param, render, merged.key)


@router.api_route(SIMPLE + "/{name}/{filename}", methods=GET_HEAD)
async def download(
    request: Request,
    ctx: ContextDep,
    principal: PrincipalDep,
    ref: FeedRefDep,
    name: str,
    filename: str,
) -> Response:
    """A distribution file, or ``{filename}.metadata``: its core metadata (PEP 658).

    Through a view, only files of versions promoted to it (404 for any other).
    """
    feed, view = await readable_view(ctx, principal, ref)
    normalized = canonicalize_name(name)
    if normalized != name:
        return redirect(request, f"../{quote(normalized, safe='')}/{quote(filename, safe='+!')}")
    view_id = None if view is None else view.id
    response = await send_file(request, ctx, feed, normalized, filename, view_id)
    if response is None and view is not None:
        raise NotFound(f"File {filename} is not in view {view.name} of feed {feed.ref}.")
    if response is None:
        response = await send_upstream_file(request, ctx, principal, feed, normalized, filename)
    return response
