"""A feed's change feed (readers, for mirroring) and audit log (owners).

Mounted like the feed routes, under ``/{org}`` and ``/{org}/{project}``. Both
page with an opaque ``continuationToken``; every answer carries the token to
continue from, also when nothing is waiting yet, so a mirror polls with it later.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from quiver.api.deps import ContextDep, PrincipalDep
from quiver.api.rest.feeds import FEEDS, ManagedRefDep, mount
from quiver.api.rest.schemas import ERRORS
from quiver.domain.changes import DEFAULT_BATCH, MAX_BATCH
from quiver.services.changes import service as reading
from quiver.services.changes.records import AuditEntry, Change

router = APIRouter(tags=["changes"], responses=ERRORS)

TokenParam = Annotated[
    str | None,
    Query(
        alias="continuationToken",
        description="The continuationToken of the last page; none: from the first change",
    ),
]
BatchParam = Annotated[
    int | None,
    Query(
        alias="batchSize",
        description=f"At most this many entries, 1 to {MAX_BATCH}; default {DEFAULT_BATCH}",
    ),
]
TOKEN_FIELD = Field(
    serialization_alias="continuationToken",
    validation_alias="continuationToken",
    description="Pass it back to get what follows this page (also later, to poll)",
)
MORE_FIELD = Field(description="Whether more entries are waiting now")


class ChangeOut(BaseModel):
    seq: int = Field(description="Position in the feed; increasing, with gaps")
    kind: str = Field(
        description="publish, save, promote, demote, yank, unyank, delete, restore or purge"
    )
    package: str | None
    version: str | None
    view: str | None = Field(description="The view of a promotion or demotion")
    files: list[str] = Field(description="The filenames a publish or save added")
    reason: str | None = Field(description="The reason given for a yank or a deletion")
    at: datetime


class ChangesOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    feed: str
    changes: list[ChangeOut]
    continuation_token: str = TOKEN_FIELD
    has_more: bool = MORE_FIELD


class AuditEntryOut(BaseModel):
    seq: int
    kind: str
    package: str | None
    version: str | None
    view: str | None
    actor: str | None = Field(description="Who: a user name, or quiver for the server itself")
    address: str | None = Field(description="The client address the change came from")
    detail: dict[str, Any] = Field(description="Kind-specific facts: files, reason, settings")
    at: datetime


class AuditOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    feed: str
    entries: list[AuditEntryOut]
    continuation_token: str = TOKEN_FIELD
    has_more: bool = MORE_FIELD


def change_out(entry: Change) -> ChangeOut:
    return ChangeOut(
        seq=entry.seq,
        kind=entry.kind,
        package=entry.package,
        version=entry.version,
        view=entry.view,
        files=entry.files,
        reason=entry.reason,
        at=entry.at,
    )


def audit_out(entry: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut(
        seq=entry.seq,
        kind=entry.kind,
        package=entry.package,
        version=entry.version,
        view=entry.view,
        actor=entry.actor,
        address=entry.address,
        detail=entry.detail,
        at=entry.at,
    )


@router.get(FEEDS + "/{feed}/changes", response_model_by_alias=True)
async def list_changes(
    ctx: ContextDep,
    principal: PrincipalDep,
    ref: ManagedRefDep,
    continuation_token: TokenParam = None,
    batch_size: BatchParam = None,
) -> ChangesOut:
    """What changed in the feed, oldest first, for mirroring (readers).

    Publishes, saves, promotions, demotions, yanks, un-yanks, deletions, restores
    and purges. Follow ``continuationToken`` while ``has_more``; keep the last one
    and poll with it to get only newer changes.
    """
    page = await reading.list_changes(ctx, principal, ref, continuation_token, batch_size)
    return ChangesOut(
        feed=page.feed,
        changes=[change_out(entry) for entry in page.entries],
        continuation_token=page.continuation_token,
        has_more=page.has_more,
    )


@router.get(FEEDS + "/{feed}/audit", response_model_by_alias=True)
async def list_audit(
    ctx: ContextDep,
    principal: PrincipalDep,
    ref: ManagedRefDep,
    continuation_token: TokenParam = None,
    batch_size: BatchParam = None,
    kind: Annotated[
        str | None,
        Query(description="Only these kinds, comma-separated (e.g. publish,view-update)"),
    ] = None,
) -> AuditOut:
    """Every change to the feed, its views and settings: who, when, from which address (owners)."""
    kinds = [item for item in (kind or "").split(",") if item.strip()]
    page = await reading.list_audit(ctx, principal, ref, continuation_token, batch_size, kinds)
    return AuditOut(
        feed=page.feed,
        entries=[audit_out(entry) for entry in page.entries],
        continuation_token=page.continuation_token,
        has_more=page.has_more,
    )


def mounted() -> APIRouter:
    return mount(router)
