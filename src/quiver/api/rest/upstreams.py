"""Upstream sources of a feed (feed owners), mounted like the feed routes.

Positions are 1-based here and in the CLI: the first source is consulted first.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from quiver.api.deps import ContextDep, PrincipalDep
from quiver.api.rest.feeds import FEEDS, ManagedRefDep, mount, spec_of
from quiver.api.rest.schemas import CONFLICT, ERRORS, UpstreamCreate, UpstreamMove, UpstreamOut
from quiver.services.records import UpstreamInfo
from quiver.services.upstreams import service as upstreams

router = APIRouter(tags=["upstream sources"], responses=ERRORS)
UPSTREAMS = FEEDS + "/{feed}/upstreams"


def upstream_out(info: UpstreamInfo) -> UpstreamOut:
    return UpstreamOut(
        name=info.name,
        position=info.position + 1,
        kind=info.kind,
        url=info.url,
        follows_pypi=info.follows_pypi,
        feed=info.source_ref,
        username=info.username,
        has_credentials=info.has_credentials,
        created_at=info.created_at,
    )


@router.get(UPSTREAMS)
async def list_upstreams(
    ctx: ContextDep, principal: PrincipalDep, ref: ManagedRefDep
) -> list[UpstreamOut]:
    """The feed's upstream sources, in the order they are consulted (feed owners)."""
    return [upstream_out(info) for info in await upstreams.list_upstreams(ctx, principal, ref)]


@router.post(UPSTREAMS, status_code=201, responses=CONFLICT)
async def add_upstream(
    ctx: ContextDep, principal: PrincipalDep, ref: ManagedRefDep, body: UpstreamCreate
) -> UpstreamOut:
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
) -> list[UpstreamOut]:
    """Move an upstream source to a 1-based position; answers the new list (feed owners)."""
    moved = await upstreams.move_upstream(ctx, principal, ref, name, body.position)
    return [upstream_out(info) for info in moved]


def mounted() -> APIRouter:
    return mount(router)
