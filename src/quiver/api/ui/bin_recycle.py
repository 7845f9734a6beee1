"""A feed's recycle bin of versions: list it, restore a version, purge one for good.

``…/settings/recycle-bin`` lists the deleted versions (who deleted them, when, when the
server purges them), 50 a page, in the recycle service's order (first deleted, so first
purged, first). Posts ``…/settings/recycle-bin/restore`` and ``…/purge`` carry
``package`` and ``version`` and are confirmed first. Who may see and change the bin is
the recycle service's answer (the feed's owners), as for the REST API.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from quiver.api.deps import get_context
from quiver.api.ui.bin_common import (
    SETTINGS,
    page_number,
    page_of,
    path_of,
    readable_feed,
    required,
    settings_context,
    the_feed,
)
from quiver.api.ui.forms import SignedForm, confirm, form_action
from quiver.api.ui.web import error_page, page, redirect, viewer
from quiver.domain.errors import QuiverError
from quiver.services.recycle import service as recycle

router = APIRouter(include_in_schema=False)
BIN = SETTINGS + "/recycle-bin"


@router.get(BIN, response_class=HTMLResponse)
async def recycle_bin_page(request: Request) -> HTMLResponse:
    """The versions in the feed's recycle bin (``?page=``), with restore and purge."""
    principal, ctx = await viewer(request), get_context(request)
    try:
        feed = await readable_feed(request, principal)
        found = await recycle.list_recycle_bin(ctx, principal, the_feed(request))
    except QuiverError as err:
        return error_page(request, principal, err)
    shown, number, pages = page_of(found, page_number(request.query_params.get("page", "1")))
    context: dict[str, Any] = {
        **settings_context(feed, "recycle-bin"),
        "entries": shown,
        "total": len(found),
        "page_no": number,
        "pages": pages,
        "days": ctx.settings.recycle_bin_days,
    }
    return page(request, "bin_recycle.html", principal, context)


@router.post(BIN + "/restore")
async def restore_version(request: Request) -> Response:
    """Bring a version back from the bin (owners), once confirmed."""

    async def action(form: SignedForm) -> Response:
        ref = the_feed(request)
        name, version = required(form.get("package"), "package"), _version(form)
        back = path_of(ref) + "/settings/recycle-bin"
        if not form.confirmed:
            return confirm(
                request,
                form,
                question=f"Restore {name} {version}?",
                detail="It comes back as it was: its files, yank state and views. "
                "Installs find it again at once.",
                button="Restore",
                back=back,
            )
        done = await recycle.restore_version(
            get_context(request), form.principal, ref, name, version
        )
        message = f"Restored {done.package} {done.version}: installs find it again."
        return redirect(request, back, message)

    return await form_action(request, action)


@router.post(BIN + "/purge")
async def purge_version(request: Request) -> Response:
    """Delete a version in the bin for good (owners), once confirmed."""

    async def action(form: SignedForm) -> Response:
        ref = the_feed(request)
        name, version = required(form.get("package"), "package"), _version(form)
        back = path_of(ref) + "/settings/recycle-bin"
        if not form.confirmed:
            return confirm(
                request,
                form,
                question=f"Purge {name} {version} for good?",
                detail="Its files are deleted and cannot be restored; their filenames can "
                "never be published to this feed again.",
                button="Purge for good",
                back=back,
                danger=True,
            )
        done = await recycle.purge_version(get_context(request), form.principal, ref, name, version)
        message = f"Purged {done.package} {done.version} for good."
        return redirect(request, back, message)

    return await form_action(request, action)


def _version(form: SignedForm) -> str:
    return required(form.get("version"), "version")
