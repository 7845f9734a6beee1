"""Upstream sources of a feed (feed owners), mounted like the feed routes.

Positions are 1-based here and in the CLI: the first source is consulted first.
Each source comes with its health (``UpstreamStatusOut``): when its index last
answered and its last failure.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import Field

from quiver.api.deps import ContextDep, PrincipalDep
from quiver.api.rest.feeds import FEEDS, ManagedRefDep, mount, spec_of
from quiver.api.rest.schemas import CONFLICT, ERRORS, UpstreamCreate, UpstreamMove, UpstreamOut
from quiver.services.upstreams import service as upstreams
from quiver.services.upstreams.records import UpstreamStatus

router = APIRouter(tags=["upstream sources"], responses=ERRORS)
UPSTREAMS = FEEDS + "/{feed}/upstreams"


class UpstreamStatusOut(UpstreamOut):
    """An upstream source and its health; its password is never shown."""

    health: str = Field(
        description="ok (the last fetch from the index succeeded), error (it failed), "
        "unchecked (nothing fetched since it was added) or local (a feed of this server: "
        "nothing to fetch, no health kept)",
        examples=["ok"],
    )
    last_ok_at: datetime | None = Field(
        description="When a page of the index was last fetched successfully (kind index)"
    )
    last_error_at: datetime | None = Field(description="When fetching from it last failed")
    last_error: str | None = Field(
        description="Why it last failed, one sentence; kept once it answers again",
        examples=["Upstream https://pypi.example/simple/requests/ answered 503."],
    )


def upstream_out(status: UpstreamStatus) -> UpstreamStatusOut:
    info, health = status.info, status.health
    return UpstreamStatusOut(
        name=info.name,
        position=info.position + 1,
        kind=info.kind,
        url=info.url,
        follows_pypi=info.follows_pypi,
        feed=info.source_ref,
        username=info.username,
        has_credentials=info.has_credentials,
        created_at=info.created_at,
        health=health.state,
        last_ok_at=health.last_ok_at,
        last_error_at=health.last_error_at,
        last_error=health.last_error,
    )


@router.get(UPSTREAMS)
async def list_upstreams(
    ctx: ContextDep, principal: PrincipalDep, ref: ManagedRefDep
) -> list[UpstreamStatusOut]:
    """The feed's upstream sources, in the order they are consulted, with their health
    (feed owners): ``last_ok_at``, ``last_error_at`` and ``last_error`` (kept as history
    once the source answers again; ``health`` says which is later)."""
    return [upstream_out(info) for info in await upstreams.list_upstreams(ctx, principal, ref)]


@router.post(UPSTREAMS, status_code=201, responses=CONFLICT)
async def add_upstream(
    ctx: ContextDep, principal: PrincipalDep, ref: ManagedRefDep, body: UpstreamCreate
) -> UpstreamStatusOut:
    """Add an upstream source at the end of the list (feed owners; at most 20).

    ``url``: a simple index (``pypi`` means the configured public index), with
    optional ``username``/``password`` (or credentials in the URL, split out).
    ``feed``: another feed of this server that you can read, ``ORG/FEED@VIEW``.
    A feed that would reach itself through its sources is refused.
    """
    info = await upstreams.add_upstream(ctx, principal, ref, spec_of(body))
    return upstream_out(info)


@router.delete(UPSTREAMS + "/{name}", status_code=204)
async def remove_upstream(
    ctx: ContextDep, principal: PrincipalDep, ref: ManagedRefDep, name: str
) -> Response:
    """Remove an upstream source; files saved from it stay (feed owners)."""
    await upstreams.remove_upstream(ctx, principal, ref, name)
    return Response(status_code=204)


@router.post(UPSTREAMS + "/{name}/move")
async def move_upstream(
    ctx: ContextDep, principal: PrincipalDep, ref: ManagedRefDep, name: str, body: UpstreamMove
) -> list[UpstreamStatusOut]:
    """Move an upstream source to a 1-based position; answers the new list (feed owners)."""
    moved = await upstreams.move_upstream(ctx, principal, ref, name, body.position)
    return [upstream_out(info) for info in moved]


def mounted() -> APIRouter:
    return mount(router)
