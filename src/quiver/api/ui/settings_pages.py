"""A feed's settings for its owners and administrators: the general page (description,
visibility, whether readers save from upstreams) here; permissions, views and upstream
sources in ``settings_permissions``, ``settings_views`` and ``settings_upstreams``.

Paths, under ``/{org}`` and ``/{org}/{project}``: ``/_artifacts/feed/{feed}/settings``
and ``…/settings/{permissions,views,upstreams}``. Every page and form checks the
caller manages the feed before showing or confirming anything (``owned_feed``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from quiver.api.deps import get_context
from quiver.api.ui import settings_permissions, settings_upstreams, settings_views
from quiver.api.ui.forms import SignedForm, confirm, form_action, require
from quiver.api.ui.settings_common import owned_feed, settings_page, settings_path, settings_ref
from quiver.api.ui.web import error_page, redirect, viewer
from quiver.domain.errors import QuiverError
from quiver.domain.names import validate_description
from quiver.domain.roles import Visibility
from quiver.services.feeds import service as feeds

router = APIRouter(include_in_schema=False)
SETTINGS = "/_artifacts/feed/{feed}/settings"
# What a change of visibility means for installs, shown before it is made.
VISIBILITY_EFFECT = {
    Visibility.PRIVATE: "Only users with a role on the feed will read it and install from it.",
    Visibility.ORGANIZATION: "Every member of the organization will read it and install from it.",
    Visibility.PUBLIC: "Anyone, signed in or not, will read it and install from it.",
}


@router.get(SETTINGS, response_class=HTMLResponse)
async def general_page(request: Request) -> HTMLResponse:
    """The feed's description, visibility and upstream saving, in one form."""
    principal = await viewer(request)
    try:
        feed = await owned_feed(request, principal)
    except QuiverError as err:
        return error_page(request, principal, err)
    return settings_page(request, "settings_general.html", principal, feed, {})


@router.post(SETTINGS)
async def save_general(request: Request) -> Response:
    """Save the general form; a change of visibility is confirmed first (installs by
    some people start or stop working). An empty description clears it; an absent
    field leaves its setting as it is."""

    async def action(form: SignedForm) -> Response:
        principal = form.principal
        feed = await owned_feed(request, principal)
        visibility = Visibility.parse(form.get("visibility", feed.visibility))
        description = form.get("description") or None
        validate_description(description)  # before asking, so the answer is not wasted
        saving = _saving(form.get("readers_can_save"))
        if visibility.value != feed.visibility and not form.confirmed:
            return confirm(
                request,
                form,
                question=f"Make feed {feed.ref} {visibility.value}?",
                detail=VISIBILITY_EFFECT[visibility],
                button=f"Make it {visibility.value}",
                back=settings_path(feed),
            )
        await feeds.update_feed(
            get_context(request),
            principal,
            settings_ref(request),
            description=description,
            visibility=visibility,
            clear_description="description" in form.fields and description is None,
            readers_can_save=saving,
        )
        return redirect(request, settings_path(feed), f"Saved the settings of feed {feed.ref}.")

    return await form_action(request, action)


def _saving(text: str) -> bool | None:
    """The readers-save choice: yes, no, or absent (unchanged)."""
    require(text in ("yes", "no", ""), "Readers save from upstream sources: choose yes or no.")
    return {"yes": True, "no": False}.get(text)


router.include_router(settings_permissions.router)
router.include_router(settings_views.router)
router.include_router(settings_upstreams.router)
