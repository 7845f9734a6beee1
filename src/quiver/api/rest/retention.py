"""A feed's retention policy, and running it (a dry run, or for real).

Mounted like the feed routes, under ``/{org}`` and ``/{org}/{project}``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from quiver.api.deps import ContextDep, PrincipalDep
from quiver.api.rest.feeds import FEEDS, ManagedRefDep, mount
from quiver.api.rest.schemas import ERRORS, Request
from quiver.domain.retention import Policy
from quiver.services.retention import service as retention
from quiver.services.retention.records import UNCHANGED, Outcome, RetentionReport

router = APIRouter(tags=["retention"], responses=ERRORS)
RETENTION = FEEDS + "/{feed}/retention"


class PolicyOut(BaseModel):
    max_versions: int | None = Field(
        description="Keep at most this many versions per package (the newest); null: no limit"
    )
    days: int | None = Field(
        description="Keep versions downloaded (or added) within this many days; null: no limit"
    )


class PolicyPut(Request):
    max_versions: int | None = Field(
        default=None, description="At least 1; null clears it; left out: unchanged", examples=[5]
    )
    days: int | None = Field(
        default=None, description="At least 1; null clears it; left out: unchanged", examples=[90]
    )


class OutcomeOut(BaseModel):
    name: str
    version: str
    reason: str = Field(description="Why it goes, or why it stays")


class RunOut(BaseModel):
    feed: str
    policy: PolicyOut
    dry_run: bool
    deleted: list[OutcomeOut] = Field(description="The versions moved to the recycle bin")
    kept: list[OutcomeOut]


class DryRunOut(BaseModel):
    feed: str
    policy: PolicyOut
    dry_run: bool
    would_delete: list[OutcomeOut] = Field(description="The versions a run would delete now")
    kept: list[OutcomeOut]


def policy_out(policy: Policy) -> PolicyOut:
    return PolicyOut(max_versions=policy.max_versions, days=policy.days)


def outcomes(items: tuple[Outcome, ...]) -> list[OutcomeOut]:
    return [OutcomeOut(name=item.name, version=item.version, reason=item.reason) for item in items]


@router.get(RETENTION)
async def get_retention(ctx: ContextDep, principal: PrincipalDep, ref: ManagedRefDep) -> PolicyOut:
    """The feed's retention policy (readers); nulls mean no policy."""
    return policy_out(await retention.get_policy(ctx, principal, ref))


@router.put(RETENTION)
async def set_retention(
    ctx: ContextDep, principal: PrincipalDep, ref: ManagedRefDep, body: PolicyPut
) -> PolicyOut:
    """Set the feed's retention policy (owners): null clears a condition, a field left
    out stays as it is. A version goes only when every condition set says so."""
    given = body.model_fields_set
    policy = await retention.set_policy(
        ctx,
        principal,
        ref,
        max_versions=body.max_versions if "max_versions" in given else UNCHANGED,
        days=body.days if "days" in given else UNCHANGED,
    )
    return policy_out(policy)


@router.post(RETENTION + "/run")
async def run_retention(
    ctx: ContextDep,
    principal: PrincipalDep,
    ref: ManagedRefDep,
    dry_run: Annotated[
        bool, Query(alias="dryRun", description="List what would go, and why; delete nothing")
    ] = False,
) -> RunOut | DryRunOut:
    """Apply the policy now (owners): versions it selects go to the recycle bin.

    With ``dryRun=true`` nothing changes: the answer lists what would go and why.
    """
    if dry_run:
        report = await retention.preview(ctx, principal, ref)
        return _dry(report)
    report = await retention.run(ctx, principal, ref)
    return RunOut(
        feed=report.feed,
        policy=policy_out(report.policy),
        dry_run=False,
        deleted=outcomes(report.going),
        kept=outcomes(report.kept),
    )


def _dry(report: RetentionReport) -> DryRunOut:
    return DryRunOut(
        feed=report.feed,
        policy=policy_out(report.policy),
        dry_run=True,
        would_delete=outcomes(report.going),
        kept=outcomes(report.kept),
    )


def mounted() -> APIRouter:
    return mount(router)
