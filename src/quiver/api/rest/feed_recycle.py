"""The feed recycle bin: delete a feed (to the bin), restore it, purge it, list the bin.

Mounted like the feed routes, under ``/{org}`` and ``/{org}/{project}``:

* ``DELETE .../_apis/packaging/feeds/{feed}``: to the bin; answers the bin entry.
* ``GET .../_apis/packaging/feed-recycle-bin``: the feeds in the bin the caller owns.
* ``POST .../_apis/packaging/feed-recycle-bin/{feed}/restore``: back; answers the feed.
* ``DELETE .../_apis/packaging/feed-recycle-bin/{feed}``: for good (only a feed in the bin).

The same shape as a feed's recycle bin for versions (``.../feeds/{feed}/recycle-bin``).
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response
from pydantic import Field

from quiver.api.deps import ContextDep, PrincipalDep
from quiver.api.rest.feeds import FEEDS, ManagedRefDep, feed_out, mount, scope_of
from quiver.api.rest.schemas import CONFLICT, ERRORS, FeedOut
from quiver.services.feeds import service as feeds
from quiver.services.recycle import feeds as recycle
from quiver.services.recycle.feeds import BinnedFeed

router = APIRouter(tags=["recycle bin"], responses=ERRORS)
FEED_RECYCLE_BIN = "/_apis/packaging/feed-recycle-bin"


class FeedBinOut(FeedOut):
    """A feed in the recycle bin."""

    deleted_at: datetime = Field(description="When it was deleted")
    deleted_by: str | None = Field(description="Who deleted it")
    purge_after: datetime = Field(description="When the server purges it for good")


def bin_out(request: Request, entry: BinnedFeed) -> FeedBinOut:
    return FeedBinOut(
        **feed_out(request, entry.details).model_dump(),
        deleted_at=entry.deleted_at,
        deleted_by=entry.deleted_by,
        purge_after=entry.purge_after,
    )


@router.delete(FEEDS + "/{feed}", responses=CONFLICT)
async def delete_feed(
    ctx: ContextDep, principal: PrincipalDep, request: Request, ref: ManagedRefDep
) -> FeedBinOut:
    """Move the feed to the recycle bin (feed owners).

    Its name stays reserved and reads and writes are refused (410) until an owner
    restores or purges it; the server purges it after the recycle-bin period.
    """
    details = await feeds.delete_feed(ctx, principal, ref)
    return bin_out(request, recycle.binned(ctx, details))


@router.post(FEED_RECYCLE_BIN + "/{feed}/restore", responses=CONFLICT)
async def restore_feed(
    ctx: ContextDep, principal: PrincipalDep, request: Request, ref: ManagedRefDep
) -> FeedOut:
    """Bring the feed back from the recycle bin as it was (feed owners)."""
    return feed_out(request, await recycle.restore_feed(ctx, principal, ref))


@router.delete(FEED_RECYCLE_BIN + "/{feed}", status_code=204, responses=CONFLICT)
async def purge_feed(ctx: ContextDep, principal: PrincipalDep, ref: ManagedRefDep) -> Response:
    """Delete a feed in the recycle bin for good, with its files (feed owners)."""
    await recycle.purge_feed(ctx, principal, ref)
    return Response(status_code=204)


@router.get(FEED_RECYCLE_BIN)
async def list_feed_recycle_bin(
    ctx: ContextDep, principal: PrincipalDep, request: Request
) -> list[FeedBinOut]:
    """The feeds here in the recycle bin that the caller owns, oldest deletion first."""
    org, project = scope_of(request)
    found = await recycle.list_feed_recycle_bin(ctx, principal, org, project)
    return [bin_out(request, entry) for entry in found]


def mounted() -> APIRouter:
    """The recycle-bin routes under ``/{org}`` and under ``/{org}/{project}``."""
    return mount(router)
