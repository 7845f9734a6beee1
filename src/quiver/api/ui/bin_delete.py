"""Deleting a feed (its owners): to the feed recycle bin, as the REST API and the CLI do.

``…/settings/delete`` asks the owner to type the feed's name; the post checks it on the
server (a wrong name is a 400 and changes nothing), then moves the feed to the bin and
sends the owner home with a message saying until when, and how, it can be restored.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from quiver.api.deps import get_context
from quiver.api.ui.bin_common import SETTINGS, owned_feed, path_of, settings_context, the_feed
from quiver.api.ui.forms import SignedForm, confirm, form_action
from quiver.api.ui.web import error_page, page, redirect, viewer
from quiver.domain.errors import Invalid, QuiverError
from quiver.services.feeds import service as feeds
from quiver.services.records import FeedRef
from quiver.services.recycle import service as recycle

router = APIRouter(include_in_schema=False)
DELETE = SETTINGS + "/delete"


@router.get(DELETE, response_class=HTMLResponse)
async def delete_page(request: Request) -> HTMLResponse:
    """The form that deletes the feed once its name is typed (owners)."""
    principal, ctx = await viewer(request), get_context(request)
    try:
        feed = await owned_feed(request, principal)
    except QuiverError as err:
        return error_page(request, principal, err)
    context = {**settings_context(feed, "delete"), "days": ctx.settings.recycle_bin_days}
    return page(request, "bin_delete.html", principal, context)


@router.post(DELETE)
async def delete_feed(request: Request) -> Response:
    """Move the feed to the recycle bin (owners) when ``name`` is the feed's name."""

    async def action(form: SignedForm) -> Response:
        ctx = get_context(request)
        feed = await owned_feed(request, form.principal)
        typed = form.get("name")
        if typed != feed.name:
            raise Invalid(
                f"The name typed does not match: type {feed.name} exactly to delete the feed. "
                "Nothing was deleted."
            )
        if not form.confirmed:
            return confirm(
                request,
                form,
                question=f"Delete feed {feed.ref}?",
                detail="Installs and uploads stop at once; an owner can restore it from the bin.",
                button="Delete the feed",
                back=path_of(the_feed(request)) + "/settings/delete",
                danger=True,
            )
        ref = the_feed(request)
        binned = recycle.binned(ctx, await feeds.delete_feed(ctx, form.principal, ref))
        message = (
            f"Feed {feed.ref} is in the recycle bin until {binned.purge_after:%Y-%m-%d}. "
            f"Its owners can restore it until then: POST {_restore_path(ref)} "
            f"(quiver feed restore {feed.ref})."
        )
        return redirect(request, "/", message)

    return await form_action(request, action)


def _restore_path(ref: FeedRef) -> str:
    """The REST path that brings the feed back from the bin."""
    scope = "/".join(quote(part, safe="") for part in (ref.org, ref.project) if part)
    return f"/{scope}/_apis/packaging/feed-recycle-bin/{quote(ref.feed, safe='')}/restore"
