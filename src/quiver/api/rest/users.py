"""Users: who am I, list, create, disable, enable and delete (administrators)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from quiver.api.deps import ContextDep, PrincipalDep
from quiver.api.rest.schemas import CONFLICT, ERRORS, MeOut, PasswordPut, UserCreate, UserOut
from quiver.services.users import service as accounts
from quiver.services.users.records import UserInfo

router = APIRouter(prefix="/_apis/users", tags=["users"], responses=ERRORS)


def user_out(user: UserInfo) -> UserOut:
    return UserOut(
        username=user.username,
        is_admin=user.is_admin,
        created_at=user.created_at,
        disabled=user.disabled,
        disabled_at=user.disabled_at,
    )


@router.get("/me")
async def me(principal: PrincipalDep) -> MeOut:
    """The user the presented token belongs to."""
    principal.require_user()
    assert principal.username is not None
    return MeOut(
        username=principal.username,
        is_admin=principal.is_admin,
        scope=principal.scope.label if principal.scope else None,
        token_id=principal.token_id,
    )


@router.get("")
async def list_users(ctx: ContextDep, principal: PrincipalDep) -> list[UserOut]:
    """Every user (administrators); other callers see only themselves."""
    return [user_out(user) for user in await accounts.list_users(ctx, principal)]


@router.post("", status_code=201, responses=CONFLICT)
async def create_user(ctx: ContextDep, principal: PrincipalDep, body: UserCreate) -> UserOut:
    """Create a user (administrators). The user signs in with a token made for them."""
    user = await accounts.create_user(ctx, principal, body.username, admin=body.is_admin)
    return user_out(user)


@router.put("/{username}/password", status_code=204)
async def put_password(
    ctx: ContextDep, principal: PrincipalDep, username: str, body: PasswordPut
) -> Response:
    """Set a user's password (administrators: anyone's; users: their own; 8-1024 characters).

    The password signs the user in on the device-login page (``quiver login``).
    """
    await accounts.set_password(ctx, principal, username, body.password)
    return Response(status_code=204)


@router.post("/{username}/disable", responses=CONFLICT)
async def disable_user(ctx: ContextDep, principal: PrincipalDep, username: str) -> UserOut:
    """Disable a user (administrators): their tokens and password stop working at once.

    Their web sessions end. 409 for yourself and for the last active administrator.
    """
    return user_out(await accounts.disable_user(ctx, principal, username))


@router.post("/{username}/enable")
async def enable_user(ctx: ContextDep, principal: PrincipalDep, username: str) -> UserOut:
    """Enable a disabled user again (administrators); their valid tokens work again."""
    return user_out(await accounts.enable_user(ctx, principal, username))


@router.delete("/{username}", status_code=204, responses=CONFLICT)
async def delete_user(ctx: ContextDep, principal: PrincipalDep, username: str) -> Response:
    """Delete a user for good (administrators), with their tokens, memberships and roles.

    The audit log and change feed keep their name. 409 for yourself and for the
    last active administrator.
    """
    await accounts.delete_user(ctx, principal, username)
    return Response(status_code=204)
