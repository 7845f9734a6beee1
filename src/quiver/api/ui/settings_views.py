"""A feed's views page: the views with their visibility and size; creating one, and
renaming, changing the visibility of and deleting one (each confirmed: index URLs or
who installs change), through the views service.

Paths: ``…/_artifacts/feed/{feed}/settings/views`` (list, create) and
``…/views/rename``, ``…/views/visibility``, ``…/views/delete``; the view is a form field.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from quiver.api.deps import get_context
from quiver.api.rest.feeds import base_url
from quiver.api.ui.forms import SignedForm, confirm, form_action, require
from quiver.api.ui.settings_common import owned_feed, settings_page, settings_path, settings_ref
from quiver.api.ui.web import error_page, redirect, viewer
from quiver.domain.errors import QuiverError
from quiver.domain.roles import Visibility
from quiver.domain.snippets import index_url
from quiver.services.feeds.records import FeedDetails
from quiver.services.views import service as views

router = APIRouter(include_in_schema=False)
VIEWS = "/_artifacts/feed/{feed}/settings/views"
SECTION = "views"


def _own_visibility(text: str) -> Visibility | None:
    """A view's own visibility from the form; empty means the feed's."""
    return Visibility.parse(text) if text else None


def _view_field(form: SignedForm) -> str:
    view = form.get("view")
    require(bool(view), "Name the view.")
    return view


def _index(request: Request, feed: FeedDetails, view: str) -> str:
    return index_url(base_url(request), feed.org, feed.project, feed.name, view)


@router.get(VIEWS, response_class=HTMLResponse)
async def views_page(request: Request) -> HTMLResponse:
    """``local`` and the feed's views, with the forms to change them."""
    principal = await viewer(request)
    try:
        feed = await owned_feed(request, principal)
        found = await views.list_views(get_context(request), principal, settings_ref(request))
    except QuiverError as err:
        return error_page(request, principal, err)
    context = {"views": found}
    return settings_page(request, "settings_views.html", principal, feed, context)


@router.post(VIEWS)
async def create_view(request: Request) -> Response:
    """A new, empty view named by the form, with its own visibility or the feed's."""

    async def action(form: SignedForm) -> Response:
        feed = await owned_feed(request, form.principal)
        name, visibility = form.get("name"), _own_visibility(form.get("visibility"))
        made = await views.create_view(
            get_context(request), form.principal, settings_ref(request), name, visibility
        )
        message = f"Created view {made.name}: its index is {_index(request, feed, made.name)}"
        return redirect(request, settings_path(feed, SECTION), message)

    return await form_action(request, action)


@router.post(VIEWS + "/rename")
async def rename_view(request: Request) -> Response:
    """Rename ``view`` to ``name`` once confirmed (its index URL changes)."""

    async def action(form: SignedForm) -> Response:
        feed = await owned_feed(request, form.principal)
        view, name = _view_field(form), form.get("name")
        require(bool(name), "Give the view a new name.")
        if not form.confirmed:
            return confirm(
                request,
                form,
                question=f"Rename view {view} of feed {feed.ref} to {name}?",
                detail=(
                    f"Its index URL becomes {_index(request, feed, name)}: clients using "
                    f"{_index(request, feed, view)} stop finding it."
                ),
                button="Rename",
                back=settings_path(feed, SECTION),
            )
        done = await views.update_view(
            get_context(request), form.principal, settings_ref(request), view, new_name=name
        )
        message = f"Renamed view {view} to {done.name}."
        return redirect(request, settings_path(feed, SECTION), message)

    return await form_action(request, action)


@router.post(VIEWS + "/visibility")
async def set_view_visibility(request: Request) -> Response:
    """Set ``view``'s own visibility (empty: the feed's) once confirmed (who installs
    from it changes)."""

    async def action(form: SignedForm) -> Response:
        feed = await owned_feed(request, form.principal)
        view = _view_field(form)
        visibility = _own_visibility(form.get("visibility"))
        shown = visibility.value if visibility else f"the feed's ({feed.visibility})"
        if not form.confirmed:
            return confirm(
                request,
                form,
                question=f"Set the visibility of view {view} to {shown}?",
                detail="A view is read by those who read the feed, and more if its own "
                "visibility is wider.",
                button="Change visibility",
                back=settings_path(feed, SECTION),
            )
        done = await views.update_view(
            get_context(request),
            form.principal,
            settings_ref(request),
            view,
            visibility=visibility,
            clear_visibility=visibility is None,
        )
        message = f"View {done.name} is now read as {done.effective_visibility}."
        return redirect(request, settings_path(feed, SECTION), message)

    return await form_action(request, action)


@router.post(VIEWS + "/delete")
async def delete_view(request: Request) -> Response:
    """Delete ``view`` once confirmed; its versions stay in the feed."""

    async def action(form: SignedForm) -> Response:
        feed = await owned_feed(request, form.principal)
        view = _view_field(form)
        if not form.confirmed:
            return confirm(
                request,
                form,
                question=f"Delete view {view} of feed {feed.ref}?",
                detail=(
                    f"Its versions stay in the feed, but {_index(request, feed, view)} "
                    "stops working for every client that uses it."
                ),
                button="Delete view",
                back=settings_path(feed, SECTION),
                danger=True,
            )
        await views.delete_view(get_context(request), form.principal, settings_ref(request), view)
        return redirect(request, settings_path(feed, SECTION), f"Deleted view {view}.")

    return await form_action(request, action)
