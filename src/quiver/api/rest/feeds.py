"""Feeds, org-scoped and project-scoped alike.

The routes are written once and mounted under ``/{org}`` and ``/{org}/{project}``
(see ``mounted``); the feed a URL names comes from ``quiver.api.deps.feed_ref``.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlsplit, urlunsplit

from fastapi import APIRouter, Depends, Path, Request

from quiver.api.deps import ContextDep, FeedRefDep, PrincipalDep
from quiver.api.rest.schemas import (
    CONFLICT,
    ERRORS,
    FeedCreate,
    FeedOut,
    FeedUpdate,
    UpstreamCreate,
)
from quiver.domain.errors import Invalid
from quiver.domain.roles import Visibility
from quiver.services.feeds import service as feeds
from quiver.services.feeds.records import FeedDetails
from quiver.services.records import FeedRef
from quiver.services.upstreams import service as upstreams
from quiver.services.upstreams.records import UpstreamSpec

router = APIRouter(tags=["feeds"], responses=ERRORS)
FEEDS = "/_apis/packaging/feeds"


def managed_ref(ref: FeedRefDep, feed: Annotated[str, Path(description="Feed")]) -> FeedRef:
    """The feed itself: management acts on feeds, never through a view."""
    if ref.view is not None:
        raise Invalid(f"Name the feed without '@{ref.view}': views are not managed here.")
    return ref


ManagedRefDep = Annotated[FeedRef, Depends(managed_ref)]


def scope_of(request: Request) -> tuple[str, str | None]:
    """``(org, project)`` from the URL; project is None under the ``/{org}`` mount."""
    params = request.path_params
    project = params.get("project")
    return str(params["org"]), str(project) if project else None


def base_url(request: Request) -> str:
    """settings.base_url when set, else the request's; never with credentials."""
    configured = request.app.state.ctx.settings.base_url
    parts = urlsplit(str(configured or request.base_url))
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def feed_out(request: Request, details: FeedDetails) -> FeedOut:
    scope = "/".join(quote(part, safe="") for part in (details.org, details.project) if part)
    prefix = f"{base_url(request)}/{scope}/_packaging/{quote(details.name, safe='')}/pypi"
    return FeedOut(
        name=details.name,
        ref=details.ref,
        org=details.org,
        project=details.project,
        description=details.description,
        visibility=details.visibility,
        created_at=details.created_at,
        your_role=details.role.label,
        readers_can_save=details.readers_can_save,
        index_url=f"{prefix}/simple/",
        upload_url=f"{prefix}/upload/",
    )


def spec_of(body: UpstreamCreate) -> UpstreamSpec:
    return UpstreamSpec(
        name=body.name,
        url=body.url,
        feed=body.feed,
        username=body.username,
        secret=body.password,
    )


@router.get(FEEDS)
async def list_feeds(ctx: ContextDep, principal: PrincipalDep, request: Request) -> list[FeedOut]:
    """The feeds here that the caller can read."""
    org, project = scope_of(request)
    found = await feeds.list_feeds(ctx, principal, org, project)
    return [feed_out(request, details) for details in found]


@router.post(FEEDS, status_code=201, responses=CONFLICT)
async def create_feed(
    ctx: ContextDep, principal: PrincipalDep, request: Request, body: FeedCreate
) -> FeedOut:
    """Create a feed (organization owners); its creator becomes its owner.

    ``upstreams`` are checked first and created with the feed, in order.
    """
    org, project = scope_of(request)
    visibility = Visibility.parse(body.visibility)
    details = await upstreams.create_feed_with_upstreams(
        ctx,
        principal,
        FeedRef(org, project, body.name),
        description=body.description,
        visibility=visibility,
        readers_can_save=body.readers_can_save,
        upstreams=[spec_of(item) for item in body.upstreams],
    )
    return feed_out(request, details)


@router.get(FEEDS + "/{feed}")
async def show_feed(
    ctx: ContextDep, principal: PrincipalDep, request: Request, ref: ManagedRefDep
) -> FeedOut:
    """One feed, with the caller's role and the URLs clients use."""
    return feed_out(request, await feeds.get_feed(ctx, principal, ref))


@router.patch(FEEDS + "/{feed}")
async def update_feed(
    ctx: ContextDep, principal: PrincipalDep, request: Request, ref: ManagedRefDep, body: FeedUpdate
) -> FeedOut:
    """Change the description, visibility or readers_can_save (feed owners)."""
    given = body.model_fields_set
    details = await feeds.update_feed(
        ctx,
        principal,
        ref,
        description=body.description,
        visibility=None if body.visibility is None else Visibility.parse(body.visibility),
        clear_description="description" in given and body.description is None,
        readers_can_save=body.readers_can_save,
    )
    return feed_out(request, details)


# DELETE FEEDS/{feed} (to the recycle bin) is in quiver.api.rest.recycle.


# The permissions routes (FEEDS/{feed}/permissions) are in quiver.api.rest.permissions.


def _org(org: Annotated[str, Path(description="Organization")]) -> None:
    """Declares ``{org}`` for the OpenAPI document; the value is read by the routes."""


def _project(project: Annotated[str, Path(description="Project in the organization")]) -> None:
    """Declares ``{project}`` for the OpenAPI document."""


def mount(routes: APIRouter) -> APIRouter:
    """``routes`` under ``/{org}`` and under ``/{org}/{project}``."""
    outer = APIRouter()
    outer.include_router(routes, prefix="/{org}", dependencies=[Depends(_org)])
    outer.include_router(
        routes, prefix="/{org}/{project}", dependencies=[Depends(_org), Depends(_project)]
    )
    return outer


def mounted() -> APIRouter:
    """The feed routes under ``/{org}`` and under ``/{org}/{project}``."""
    return mount(router)
