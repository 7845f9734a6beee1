"""Views of a feed, and promoting versions to them (and demoting them).

Mounted like the feed routes, under ``/{org}`` and ``/{org}/{project}``.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from quiver.api.deps import ContextDep, PrincipalDep
from quiver.api.rest.feeds import FEEDS, ManagedRefDep, mount
from quiver.api.rest.schemas import CONFLICT, ERRORS, Request
from quiver.domain.roles import Visibility
from quiver.services.views import service as views
from quiver.services.views.records import Promotion, ViewDetails

router = APIRouter(tags=["views"], responses=ERRORS)
VIEWS = FEEDS + "/{feed}/views"
VERSION = FEEDS + "/{feed}/packages/{name}/versions/{version}"


class ViewCreate(Request):
    name: str = Field(description="Feed-name rules; not 'local'", examples=["staging"])
    visibility: str | None = Field(
        default=None,
        description="private, organization or public; none: the feed's. Only widens who reads.",
        examples=["organization"],
    )


class ViewUpdate(Request):
    name: str | None = Field(default=None, description="A new name", examples=["qa"])
    visibility: str | None = Field(
        default=None, description="private, organization or public; null: the feed's"
    )


class ViewOut(BaseModel):
    name: str
    visibility: str | None = Field(description="The view's own visibility; null: the feed's")
    effective_visibility: str = Field(description="Who reads the view, feed and view together")
    created_at: datetime | None
    versions: int | None = Field(default=None, description="How many versions are in it")


class PromotionPost(Request):
    view: str = Field(description="A view of the feed other than local", examples=["release"])


class PromotionOut(BaseModel):
    feed: str
    view: str
    name: str
    version: str
    promoted: bool = Field(description="Whether the version is in the view now")


def view_out(found: ViewDetails) -> ViewOut:
    return ViewOut(
        name=found.name,
        visibility=found.visibility,
        effective_visibility=found.effective_visibility,
        created_at=found.created_at,
        versions=found.versions,
    )


def promotion_out(found: Promotion) -> PromotionOut:
    return PromotionOut(
        feed=found.feed,
        view=found.view,
        name=found.name,
        version=found.version,
        promoted=found.promoted,
    )


@router.get(VIEWS)
async def list_views(ctx: ContextDep, principal: PrincipalDep, ref: ManagedRefDep) -> list[ViewOut]:
    """The feed's views: local (every version), then the others by name (readers)."""
    return [view_out(item) for item in await views.list_views(ctx, principal, ref)]


@router.post(VIEWS, status_code=201, responses=CONFLICT)
async def create_view(
    ctx: ContextDep, principal: PrincipalDep, ref: ManagedRefDep, body: ViewCreate
) -> ViewOut:
    """Add an empty view to the feed (feed owners)."""
    visibility = None if body.visibility is None else Visibility.parse(body.visibility)
    return view_out(await views.create_view(ctx, principal, ref, body.name, visibility))


@router.patch(VIEWS + "/{view}", responses=CONFLICT)
async def update_view(
    ctx: ContextDep, principal: PrincipalDep, ref: ManagedRefDep, view: str, body: ViewUpdate
) -> ViewOut:
    """Rename the view and/or set its visibility (feed owners); local is fixed."""
    given = body.model_fields_set
    found = await views.update_view(
        ctx,
        principal,
        ref,
        view,
        new_name=body.name,
        visibility=None if body.visibility is None else Visibility.parse(body.visibility),
        clear_visibility="visibility" in given and body.visibility is None,
    )
    return view_out(found)


@router.delete(VIEWS + "/{view}", status_code=204, responses=CONFLICT)
async def delete_view(
    ctx: ContextDep, principal: PrincipalDep, ref: ManagedRefDep, view: str
) -> Response:
    """Delete the view (feed owners); its versions stay in the feed."""
    await views.delete_view(ctx, principal, ref, view)
    return Response(status_code=204)


@router.post(VERSION + "/promote")
async def promote_version(
    ctx: ContextDep,
    principal: PrincipalDep,
    ref: ManagedRefDep,
    name: str,
    version: str,
    body: PromotionPost,
) -> PromotionOut:
    """Promote the version to a view (contributors); again is a no-op."""
    return promotion_out(await views.promote(ctx, principal, ref, name, version, body.view))


@router.post(VERSION + "/demote")
async def demote_version(
    ctx: ContextDep,
    principal: PrincipalDep,
    ref: ManagedRefDep,
    name: str,
    version: str,
    body: PromotionPost,
) -> PromotionOut:
    """Take the version out of a view (feed owners)."""
    return promotion_out(await views.demote(ctx, principal, ref, name, version, body.view))


def mounted() -> APIRouter:
    return mount(router)
