"""Feed permissions: the explicit roles users hold on a feed (feed owners).

Mounted under ``/{org}`` and ``/{org}/{project}`` like the feed routes, at
``.../_apis/packaging/feeds/{feed}/permissions``.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from quiver.api.deps import ContextDep, PrincipalDep
from quiver.api.rest.feeds import FEEDS, ManagedRefDep, mount
from quiver.api.rest.schemas import CONFLICT, ERRORS, PermissionOut, PermissionPut
from quiver.domain.roles import Role
from quiver.services.permissions import service as permissions
from quiver.services.permissions.records import PermissionInfo

# Tagged "feeds" as before they had a router of their own: the OpenAPI document is unchanged.
router = APIRouter(tags=["feeds"], responses=ERRORS)
PERMISSIONS = FEEDS + "/{feed}/permissions"


def permission_out(permission: PermissionInfo) -> PermissionOut:
    return PermissionOut(username=permission.username, role=permission.role.label)


@router.get(PERMISSIONS)
async def list_permissions(
    ctx: ContextDep, principal: PrincipalDep, ref: ManagedRefDep
) -> list[PermissionOut]:
    """Explicit roles on the feed (feed owners)."""
    return [permission_out(p) for p in await permissions.list_permissions(ctx, principal, ref)]


@router.put(PERMISSIONS + "/{user}", responses=CONFLICT)
async def set_permission(
    ctx: ContextDep, principal: PrincipalDep, ref: ManagedRefDep, user: str, body: PermissionPut
) -> PermissionOut:
    """Give a user a role on the feed, replacing any role they had (feed owners)."""
    role = Role.parse(body.role)
    return permission_out(await permissions.set_permission(ctx, principal, ref, user, role))


@router.delete(PERMISSIONS + "/{user}", status_code=204, responses=CONFLICT)
async def remove_permission(
    ctx: ContextDep, principal: PrincipalDep, ref: ManagedRefDep, user: str
) -> Response:
    """Take a user's explicit role on the feed away (feed owners)."""
    await permissions.remove_permission(ctx, principal, ref, user)
    return Response(status_code=204)


def mounted() -> APIRouter:
    """The permissions routes under ``/{org}`` and under ``/{org}/{project}``."""
    return mount(router)
