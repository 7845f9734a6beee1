"""The recycle bins: a feed's bin for versions, and the bin for feeds.

Mounted like the feed routes, under ``/{org}`` and ``/{org}/{project}``. Feed owners only.

Versions (``.../_apis/packaging/feeds/{feed}/...``):

* ``DELETE .../packages/{name}/versions/{version}``: to the bin; answers the bin entry.
* ``GET .../recycle-bin``: the versions in the bin.
* ``POST .../recycle-bin/{name}/{version}/restore``: back; answers the entry it had.
* ``DELETE .../recycle-bin/{name}/{version}``: for good (only a version in the bin).

Feeds, in the same shape:

* ``DELETE .../_apis/packaging/feeds/{feed}``: to the bin; answers the bin entry.
* ``GET .../_apis/packaging/feed-recycle-bin``: the feeds in the bin the caller owns.
* ``POST .../_apis/packaging/feed-recycle-bin/{feed}/restore``: back; answers the feed.
* ``DELETE .../_apis/packaging/feed-recycle-bin/{feed}``: for good (only a feed in the bin).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from quiver.api.deps import ContextDep, PrincipalDep
from quiver.api.rest.feeds import FEEDS, ManagedRefDep, feed_out, mount, scope_of
from quiver.api.rest.schemas import CONFLICT, ERRORS, FeedOut
from quiver.domain.versions import MAX_REASON
from quiver.services.feeds import service as feeds
from quiver.services.recycle import service as recycle
from quiver.services.recycle.records import BinnedFeed, RecycledVersion

router = APIRouter(tags=["recycle bin"], responses=ERRORS)
VERSION = FEEDS + "/{feed}/packages/{name}/versions/{version}"
BIN = FEEDS + "/{feed}/recycle-bin"
FEED_RECYCLE_BIN = "/_apis/packaging/feed-recycle-bin"


# --- feeds ---------------------------------------------------------------------------------


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


# --- versions ------------------------------------------------------------------------------


class RecycledOut(BaseModel):
    feed: str
    package: str
    version: str
    deleted_at: datetime
    deleted_by: str | None = Field(description="Who deleted it (quiver: the server)")
    purge_after: datetime = Field(description="When the scheduled purge removes it for good")
    files: list[str] = Field(description="The version's filenames")


def recycled_out(found: RecycledVersion) -> RecycledOut:
    return RecycledOut(
        feed=found.feed,
        package=found.package,
        version=found.version,
        deleted_at=found.deleted_at,
        deleted_by=found.deleted_by,
        purge_after=found.purge_after,
        files=list(found.filenames),
    )


@router.delete(VERSION, responses=CONFLICT)
async def delete_version(
    ctx: ContextDep,
    principal: PrincipalDep,
    ref: ManagedRefDep,
    name: str,
    version: str,
    reason: Annotated[
        str | None,
        Query(description=f"Why (at most {MAX_REASON} characters); the audit log keeps it"),
    ] = None,
) -> RecycledOut:
    """Move the version, every file of it, to the feed's recycle bin (feed owners).

    It leaves every index page, view and download at once; restore it until
    ``purge_after``, when it is purged for good.
    """
    found = await recycle.delete_version(ctx, principal, ref, name, version, reason)
    return recycled_out(found)


@router.get(BIN)
async def list_recycle_bin(
    ctx: ContextDep, principal: PrincipalDep, ref: ManagedRefDep
) -> list[RecycledOut]:
    """The versions in the feed's recycle bin, first deleted first (feed owners)."""
    return [recycled_out(item) for item in await recycle.list_recycle_bin(ctx, principal, ref)]


@router.post(BIN + "/{name}/{version}/restore")
async def restore_version(
    ctx: ContextDep, principal: PrincipalDep, ref: ManagedRefDep, name: str, version: str
) -> RecycledOut:
    """Bring the version back, unchanged: files, yank state and views (feed owners)."""
    return recycled_out(await recycle.restore_version(ctx, principal, ref, name, version))


@router.delete(BIN + "/{name}/{version}", responses=CONFLICT)
async def purge_version(
    ctx: ContextDep, principal: PrincipalDep, ref: ManagedRefDep, name: str, version: str
) -> RecycledOut:
    """Delete the version for good, with its files' bytes (feed owners).

    Only a version in the recycle bin can be purged (409 otherwise). Its
    filenames can never be published to the feed again.
    """
    return recycled_out(await recycle.purge_version(ctx, principal, ref, name, version))


def mounted() -> APIRouter:
    """The recycle-bin routes under ``/{org}`` and under ``/{org}/{project}``."""
    return mount(router)
