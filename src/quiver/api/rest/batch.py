"""Batch operations on many versions of a feed in one call, with a result per version.

Mounted like the feed routes, under ``/{org}`` and ``/{org}/{project}``.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from quiver.api.deps import ContextDep, PrincipalDep
from quiver.api.errors import status_of
from quiver.api.rest.feeds import FEEDS, ManagedRefDep, mount
from quiver.api.rest.schemas import ERRORS, Request
from quiver.services.packages import batch
from quiver.services.packages.batch import Item

router = APIRouter(tags=["packages"], responses=ERRORS)

Operation = Literal["promote", "demote", "yank", "unyank", "delete", "restore", "purge"]


class BatchItem(Request):
    name: str = Field(examples=["foo-bar"])
    version: str = Field(examples=["1.0"])


class BatchPost(Request):
    operation: Operation
    view: str | None = Field(
        default=None, description="The view (promote and demote only)", examples=["release"]
    )
    reason: str | None = Field(
        default=None, description="Why (yank and delete only; at most 512 characters)"
    )
    versions: list[BatchItem] = Field(description=f"1 to {batch.MAX_ITEMS} versions")


class BatchResultOut(BaseModel):
    name: str
    version: str
    ok: bool
    status: int = Field(description="200, or the HTTP status this version alone would get")
    message: str | None = Field(description="Why it failed; null when it worked")


class BatchOut(BaseModel):
    results: list[BatchResultOut] = Field(description="One per version, in the order given")


@router.post(FEEDS + "/{feed}/packages/batch")
async def run_batch(
    ctx: ContextDep, principal: PrincipalDep, ref: ManagedRefDep, body: BatchPost
) -> BatchOut:
    """Promote, demote, yank, un-yank, delete, restore or purge many versions.

    Each version is done on its own, with the role its operation needs (contributors
    promote, yank and un-yank; owners demote, delete, restore and purge): one
    failure does not undo the others. The answer is 200 with a result per version.
    """
    results = await batch.run_batch(
        ctx,
        principal,
        ref,
        body.operation,
        [Item(item.name, item.version) for item in body.versions],
        view=body.view,
        reason=body.reason,
    )
    return BatchOut(
        results=[
            BatchResultOut(
                name=result.name,
                version=result.version,
                ok=result.ok,
                status=200 if result.error is None else status_of(result.error),
                message=None if result.error is None else str(result.error),
            )
            for result in results
        ]
    )


def mounted() -> APIRouter:
    return mount(router)
