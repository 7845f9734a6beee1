"""A feed's recycle bin for versions: delete a version to it, list, restore, purge.

Mounted like the feed routes, under ``/{org}`` and ``/{org}/{project}``. Feed
owners only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from quiver.api.deps import ContextDep, PrincipalDep
from quiver.api.rest.feeds import FEEDS, ManagedRefDep, mount
from quiver.api.rest.schemas import CONFLICT, ERRORS
from quiver.services.recycle import versions as recycle
from quiver.services.recycle.versions import RecycledVersion

router = APIRouter(tags=["recycle bin"], responses=ERRORS)
VERSION = FEEDS + "/{feed}/packages/{name}/versions/{version}"
BIN = FEEDS + "/{feed}/recycle-bin"


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
        str | None, Query(description="Why (at most 512 characters); the audit log keeps it")
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
    return mount(router)
