"""The administrators' users page (``/_admin/users``): every user, and the forms that
create a user, set a password, disable, enable and delete one.

The same ``services/users`` calls as the REST API (``api/rest/users.py``), with the
signed-in person; every page and post first asks ``require_admin`` (anonymous 401, other
users 403). Setting a password, disabling, enabling and deleting are confirmed first
(``confirm``). Disabling ends the user's web sessions and refuses their tokens at once
(the service does it).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from quiver.api.deps import get_context
from quiver.api.ui.forms import SignedForm, confirm, form_action, require
from quiver.api.ui.web import error_page, page, redirect, viewer
from quiver.domain.errors import NotFound, QuiverError, Unauthenticated
from quiver.domain.names import name_key
from quiver.domain.passwords import check_password
from quiver.services.context import Context
from quiver.services.records import Principal
from quiver.services.users import service as accounts
from quiver.services.users.records import UserInfo

USERS = "/_admin/users"
router = APIRouter(prefix=USERS, include_in_schema=False)
NAME_MAX = 64


def _require_admin(principal: Principal) -> None:
    """The service's rule, with a sentence for the web when nobody is signed in."""
    if not principal.authenticated:
        raise Unauthenticated("Sign in as an administrator to manage users.")
    accounts.require_admin(principal)


async def _known_user(ctx: Context, principal: Principal, username: str) -> UserInfo:
    """The user of that name (any case), for the confirmation's question; NotFound."""
    require(bool(username), "Give a user name.")
    key = name_key(username)
    for user in await accounts.list_users(ctx, principal):
        if name_key(user.username) == key:
            return user
    raise NotFound(f"User {username[:NAME_MAX]} does not exist.")


def _password(form: SignedForm) -> str:
    """The password field as typed (not stripped: spaces may be part of it)."""
    return form.fields.get("password", "")


@router.get("", response_class=HTMLResponse)
async def users_page(request: Request, user: str = "") -> HTMLResponse:
    """Every user with their state; ``?user=`` fills the password form's user name."""
    principal = await viewer(request)
    try:
        _require_admin(principal)
        users = await accounts.list_users(get_context(request), principal)
    except QuiverError as err:
        return error_page(request, principal, err)
    context = {"users": users, "chosen": user.strip()[:NAME_MAX]}
    return page(request, "users.html", principal, context)


@router.post("")
async def create_user(request: Request) -> Response:
    """Create a user, an administrator when ``is_admin=yes``, with a password when given
    (checked before the user is created, so a bad one creates nothing)."""

    async def action(form: SignedForm) -> Response:
        _require_admin(form.principal)
        password, ctx = _password(form), get_context(request)
        if password:
            check_password(password)
        admin = form.get("is_admin") == "yes"
        user = await accounts.create_user(ctx, form.principal, form.get("username"), admin=admin)
        if password:
            await accounts.set_password(ctx, form.principal, user.username, password)
            message = f"User {user.username} created: they sign in with the password you set."
        else:
            message = f"User {user.username} created; set a password to let them sign in."
        return redirect(request, USERS, message)

    return await form_action(request, action)


@router.post("/password")
async def set_password(request: Request) -> Response:
    """Set a user's password (confirmed first); their old one stops working at once."""

    async def action(form: SignedForm) -> Response:
        _require_admin(form.principal)
        ctx, password = get_context(request), _password(form)
        user = await _known_user(ctx, form.principal, form.get("username"))
        check_password(password)
        if not form.confirmed:
            return confirm(
                request,
                form,
                question=f"Set a new password for {user.username}?",
                detail=(
                    "Their old password stops working at once; their tokens and open "
                    "sessions are not affected (disable the user to end those)."
                ),
                button="Set password",
                back=USERS,
            )
        await accounts.set_password(ctx, form.principal, user.username, password)
        return redirect(request, USERS, f"The password of {user.username} was changed.")

    return await form_action(request, action)


@router.post("/disable")
async def disable_user(request: Request) -> Response:
    """Disable a user (confirmed first): their sessions end, their tokens are refused."""

    async def action(form: SignedForm) -> Response:
        _require_admin(form.principal)
        ctx = get_context(request)
        user = await _known_user(ctx, form.principal, form.get("username"))
        if not form.confirmed:
            return confirm(
                request,
                form,
                question=f"Disable {user.username}?",
                detail=(
                    "They are signed out at once and their tokens and password stop "
                    "working until you enable them again."
                ),
                button="Disable user",
                back=USERS,
                danger=True,
            )
        await accounts.disable_user(ctx, form.principal, user.username)
        return redirect(request, USERS, f"{user.username} is disabled.")

    return await form_action(request, action)


@router.post("/enable")
async def enable_user(request: Request) -> Response:
    """Enable a disabled user again (confirmed first): their valid tokens work again."""

    async def action(form: SignedForm) -> Response:
        _require_admin(form.principal)
        ctx = get_context(request)
        user = await _known_user(ctx, form.principal, form.get("username"))
        if not form.confirmed:
            return confirm(
                request,
                form,
                question=f"Enable {user.username} again?",
                detail="Their password and the tokens that have not expired work again at once.",
                button="Enable user",
                back=USERS,
            )
        await accounts.enable_user(ctx, form.principal, user.username)
        return redirect(request, USERS, f"{user.username} is enabled again.")

    return await form_action(request, action)


@router.post("/delete")
async def delete_user(request: Request) -> Response:
    """Delete a user for good (confirmed first), with their tokens, memberships and roles."""

    async def action(form: SignedForm) -> Response:
        _require_admin(form.principal)
        ctx = get_context(request)
        user = await _known_user(ctx, form.principal, form.get("username"))
        if not form.confirmed:
            return confirm(
                request,
                form,
                question=f"Delete {user.username} for good?",
                detail=(
                    "Their tokens, sessions, memberships and feed roles are deleted; the "
                    "audit log keeps their name. This cannot be undone."
                ),
                button="Delete user",
                back=USERS,
                danger=True,
            )
        await accounts.delete_user(ctx, form.principal, user.username)
        return redirect(request, USERS, f"User {user.username} was deleted.")

    return await form_action(request, action)
