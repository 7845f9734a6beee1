"""A feed's permissions page: the users with a role on it, giving a role (adding a user
or changing theirs) and taking it away (confirmed), through the permissions service.

Paths: ``…/_artifacts/feed/{feed}/settings/permissions`` and ``…/permissions/remove``.
A caller who takes their own owner role away lands on the feed's page (or the home page),
since the settings are no longer theirs to see.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from quiver.api.deps import get_context
from quiver.api.ui.forms import SignedForm, confirm, form_action, require
from quiver.api.ui.settings_common import (
    landing,
    owned_feed,
    settings_page,
    settings_path,
    settings_ref,
)
from quiver.api.ui.web import error_page, redirect, viewer
from quiver.domain.errors import QuiverError
from quiver.domain.roles import Role
from quiver.services.permissions import service as permissions

router = APIRouter(include_in_schema=False)
PERMISSIONS = "/_artifacts/feed/{feed}/settings/permissions"
SECTION = "permissions"


@router.get(PERMISSIONS, response_class=HTMLResponse)
async def permissions_page(request: Request) -> HTMLResponse:
    """The users with an explicit role on the feed, by name, and the forms to change them."""
    principal = await viewer(request)
    try:
        feed = await owned_feed(request, principal)
        found = await permissions.list_permissions(
            get_context(request), principal, settings_ref(request)
        )
    except QuiverError as err:
        return error_page(request, principal, err)
    context = {"permissions": found}
    return settings_page(request, "settings_permissions.html", principal, feed, context)


@router.post(PERMISSIONS)
async def set_permission(request: Request) -> Response:
    """Give the form's ``user`` the form's ``role``, replacing any role they had."""

    async def action(form: SignedForm) -> Response:
        feed = await owned_feed(request, form.principal)
        username = form.get("user")
        require(bool(username), "Name the user to give a role to.")
        role = Role.parse(form.get("role"))
        info = await permissions.set_permission(
            get_context(request), form.principal, settings_ref(request), username, role
        )
        target = await landing(request, form.principal, feed, SECTION)
        message = f"{info.username} is now {info.role.label} of feed {feed.ref}."
        return redirect(request, target, message)

    return await form_action(request, action)


@router.post(PERMISSIONS + "/remove")
async def remove_permission(request: Request) -> Response:
    """Take the form's ``user``'s role on the feed away, once confirmed."""

    async def action(form: SignedForm) -> Response:
        feed = await owned_feed(request, form.principal)
        username = form.get("user")
        require(bool(username), "Name the user whose role to take away.")
        if not form.confirmed:
            return confirm(
                request,
                form,
                question=f"Take {username}'s role on feed {feed.ref} away?",
                detail="They keep only what the feed's visibility gives everyone.",
                button="Remove",
                back=settings_path(feed, SECTION),
                danger=True,
            )
        await permissions.remove_permission(
            get_context(request), form.principal, settings_ref(request), username
        )
        target = await landing(request, form.principal, feed, SECTION)
        return redirect(request, target, f"{username} no longer has a role on feed {feed.ref}.")

    return await form_action(request, action)
