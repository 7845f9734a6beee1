"""A feed's upstream sources page: the sources in the order they are consulted; adding
one (an index URL, ``pypi``, or a feed or view of this server), removing one (confirmed)
and moving one up or down, through the upstreams service.

Paths: ``…/_artifacts/feed/{feed}/settings/upstreams`` (list, add) and
``…/upstreams/remove``, ``…/upstreams/move``; the source is a form field. Positions are
1-based, as in the REST API. Each index source shows its health: its last refresh (the
last page fetched from it) and its last error, in the error style while it is failing.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from quiver.api.deps import get_context
from quiver.api.ui.forms import SignedForm, confirm, form_action, require
from quiver.api.ui.settings_common import owned_feed, settings_page, settings_path, settings_ref
from quiver.api.ui.web import error_page, redirect, viewer
from quiver.domain.errors import QuiverError
from quiver.services.upstreams import service as upstreams
from quiver.services.upstreams.records import UpstreamSpec

router = APIRouter(include_in_schema=False)
UPSTREAMS = "/_artifacts/feed/{feed}/settings/upstreams"
SECTION = "upstreams"
KINDS = ("index", "pypi", "feed")


def spec_of(form: SignedForm) -> UpstreamSpec:
    """The source the add form asks for; the service checks every field.

    ``kind`` says what ``source`` is: an index URL, nothing (``pypi``: the configured
    public index), or ``ORG/FEED@VIEW`` of this server.
    """
    kind, source = form.get("kind"), form.get("source")
    require(kind in KINDS, "Choose what the source is: an index URL, pypi or a feed here.")
    # Passwords may begin or end with spaces: taken as sent, not stripped.
    secret = form.fields.get("password") or None
    username = form.get("username") or None
    if kind == "feed":
        return UpstreamSpec(name=form.get("name"), feed=source, username=username, secret=secret)
    url = "pypi" if kind == "pypi" else source
    return UpstreamSpec(name=form.get("name"), url=url, username=username, secret=secret)


@router.get(UPSTREAMS, response_class=HTMLResponse)
async def upstreams_page(request: Request) -> HTMLResponse:
    """The feed's upstream sources in order, with the forms to change them."""
    principal = await viewer(request)
    try:
        feed = await owned_feed(request, principal)
        found = await upstreams.list_upstreams(
            get_context(request), principal, settings_ref(request)
        )
    except QuiverError as err:
        return error_page(request, principal, err)
    context = {"upstreams": found}
    return settings_page(request, "settings_upstreams.html", principal, feed, context)


@router.post(UPSTREAMS)
async def add_upstream(request: Request) -> Response:
    """Add the form's source at the end of the list."""

    async def action(form: SignedForm) -> Response:
        feed = await owned_feed(request, form.principal)
        added = (
            await upstreams.add_upstream(
                get_context(request), form.principal, settings_ref(request), spec_of(form)
            )
        ).info
        where = added.source_ref or added.url
        message = f"Added upstream source {added.name} ({where}) at position {added.position + 1}."
        return redirect(request, settings_path(feed, SECTION), message)

    return await form_action(request, action)


@router.post(UPSTREAMS + "/remove")
async def remove_upstream(request: Request) -> Response:
    """Remove the form's source once confirmed; files saved from it stay."""

    async def action(form: SignedForm) -> Response:
        feed = await owned_feed(request, form.principal)
        name = form.get("name")
        require(bool(name), "Name the upstream source to remove.")
        if not form.confirmed:
            return confirm(
                request,
                form,
                question=f"Remove upstream source {name} from feed {feed.ref}?",
                detail="Files already saved from it stay; packages only it has stop "
                "being found through this feed.",
                button="Remove source",
                back=settings_path(feed, SECTION),
                danger=True,
            )
        await upstreams.remove_upstream(
            get_context(request), form.principal, settings_ref(request), name
        )
        return redirect(request, settings_path(feed, SECTION), f"Removed upstream source {name}.")

    return await form_action(request, action)


@router.post(UPSTREAMS + "/move")
async def move_upstream(request: Request) -> Response:
    """Move the form's source to ``position`` (1-based; the move up and down buttons)."""

    async def action(form: SignedForm) -> Response:
        feed = await owned_feed(request, form.principal)
        name, position = form.get("name"), form.get("position")
        require(bool(name), "Name the upstream source to move.")
        whole = position.isascii() and position.isdigit() and len(position) <= 4
        require(whole, "Position must be a whole number.")
        await upstreams.move_upstream(
            get_context(request), form.principal, settings_ref(request), name, int(position)
        )
        message = f"Moved upstream source {name} to position {int(position)}."
        return redirect(request, settings_path(feed, SECTION), message)

    return await form_action(request, action)
