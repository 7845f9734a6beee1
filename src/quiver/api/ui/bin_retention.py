"""A feed's retention policy for its owners: show it, change it, preview it, apply it now.

``…/settings/retention`` shows the policy and its form; ``?preview=1`` adds what the
policy would move to the recycle bin now, and why (a dry run: nothing changes). Posts:
``…/settings/retention`` saves the policy (as ``PUT …/retention`` of the REST API: an
empty field clears that condition, a field left out stays), ``…/settings/retention/run``
applies it now, after a confirmation that names how many versions go.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from quiver.api.deps import get_context
from quiver.api.ui.bin_common import SETTINGS, owned_feed, path_of, settings_context, the_feed
from quiver.api.ui.forms import SignedForm, confirm, form_action
from quiver.api.ui.web import error_page, page, redirect, viewer
from quiver.domain.errors import Invalid, QuiverError
from quiver.services.retention import service as retention
from quiver.services.retention.records import UNCHANGED, Unchanged

router = APIRouter(include_in_schema=False)
RETENTION = SETTINGS + "/retention"
# More digits than any limit the domain allows: such a value is refused before int()
# (which would accept thousands of digits).
NUMBER_DIGITS = 9
FIELDS = {"max_versions": "Keep at most this many versions", "days": "Keep for this many days"}


@router.get(RETENTION, response_class=HTMLResponse)
async def retention_page(request: Request, preview: str = "") -> HTMLResponse:
    """The policy and its form (owners); with ``?preview=1`` also the dry run's list."""
    principal, ctx = await viewer(request), get_context(request)
    try:
        feed = await owned_feed(request, principal)
        ref = the_feed(request)
        policy = await retention.get_policy(ctx, principal, ref)
        report = await retention.preview(ctx, principal, ref) if preview == "1" else None
    except QuiverError as err:
        return error_page(request, principal, err)
    context: dict[str, Any] = {
        **settings_context(feed, "retention"),
        "policy": policy,
        "report": report,
    }
    return page(request, "bin_retention.html", principal, context)


@router.post(RETENTION)
async def save_retention(request: Request) -> Response:
    """Set the policy (owners) and show its preview: what it would delete now."""

    async def action(form: SignedForm) -> Response:
        ref = the_feed(request)
        policy = await retention.set_policy(
            get_context(request),
            form.principal,
            ref,
            max_versions=_number(form, "max_versions"),
            days=_number(form, "days"),
        )
        message = f"Retention policy saved: {policy.describe()}."
        if policy.configured:
            message += " Nothing is deleted until it runs; below is what it would delete now."
        return redirect(request, path_of(ref) + "/settings/retention?preview=1", message)

    return await form_action(request, action)


@router.post(RETENTION + "/run")
async def run_retention(request: Request) -> Response:
    """Apply the policy now (owners), once confirmed: what it selects goes to the bin."""

    async def action(form: SignedForm) -> Response:
        ctx, ref = get_context(request), the_feed(request)
        back = path_of(ref) + "/settings/retention"
        if not form.confirmed:
            report = await retention.preview(ctx, form.principal, ref)
            count = len(report.going)
            return confirm(
                request,
                form,
                question=f"Apply the retention policy of {report.feed} now?",
                detail=(
                    f"{_versions(count)} would move to the recycle bin now "
                    f"({report.policy.describe()}). Installs stop finding them at once; "
                    "they can be restored from the recycle bin until it purges them."
                ),
                button="Apply the policy now",
                back=back + "?preview=1",
                danger=True,
            )
        done = await retention.run(ctx, form.principal, ref)
        message = (
            f"The retention policy moved {_versions(len(done.going))} to the recycle bin."
            if done.going
            else "The retention policy deleted nothing: every version stays."
        )
        target = path_of(ref) + ("/settings/recycle-bin" if done.going else "/settings/retention")
        return redirect(request, target, message)

    return await form_action(request, action)


def _number(form: SignedForm, name: str) -> int | Unchanged | None:
    """A condition of the form: a whole number, empty (clear it), absent (leave it)."""
    if name not in form.fields:
        return UNCHANGED
    text = form.get(name)
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and len(text) <= NUMBER_DIGITS):
        raise Invalid(
            f"{FIELDS[name]}: give a whole number, or leave it empty for no limit "
            f"(not “{text[:40]}”)."
        )
    return int(text)


def _versions(count: int) -> str:
    return f"{count} version{'' if count == 1 else 's'}"
