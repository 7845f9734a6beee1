"""A feed's change log, newest first, 50 a page.

``…/settings/changes``: the feed's owners see its audit log (every event, who made it and
from which address); its other readers see its change feed (what changed in its
packages, never who), as the REST API's ``…/audit`` and ``…/changes`` decide. Paging is
the log's own (``bin_history``): ``?before=SEQ`` shows the entries older than that one.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from quiver.api.deps import get_context
from quiver.api.ui.bin_common import PAGE_SIZE, SETTINGS, readable_feed, settings_context
from quiver.api.ui.bin_history import Fetch, newest_first
from quiver.api.ui.web import error_page, page, viewer
from quiver.domain.continuation import MAX_NUMBER, Position
from quiver.domain.errors import Invalid, QuiverError
from quiver.domain.roles import Role
from quiver.services.changes import service as reading
from quiver.services.changes.records import AuditEntry, Change, Page
from quiver.services.context import Context
from quiver.services.records import FeedRef, Principal
from quiver.services.views import service as views

router = APIRouter(include_in_schema=False)
DETAIL_MAX = 120  # characters of one fact of an entry shown


@router.get(SETTINGS + "/changes", response_class=HTMLResponse)
async def changes_page(request: Request, before: str = "") -> HTMLResponse:
    """The newest entries older than ``before`` (none: the newest entries of all)."""
    principal, ctx = await viewer(request), get_context(request)
    try:
        position = _before(before)
        feed = await readable_feed(request, principal)
        ref = FeedRef(feed.org, feed.project, feed.name)
        audit = feed.role >= Role.OWNER
        info, _view = await views.readable_view(ctx, principal, ref)
        fetch = _fetcher(ctx, principal, ref, info.id, audit=audit)
        found = await newest_first(fetch, info.serial, position, PAGE_SIZE)
    except QuiverError as err:
        return error_page(request, principal, err)
    context: dict[str, Any] = {
        **settings_context(feed, "changes"),
        "audit": audit,
        "rows": [_row(entry) for entry in found.entries],
        "slice": found,
        "before": position,
    }
    return page(request, "bin_changes.html", principal, context)


def _before(text: str) -> int | None:
    """``?before=``: a position in the log, or none for the newest entries."""
    text = text.strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and len(text) <= 19 and 0 < int(text) <= MAX_NUMBER):
        raise Invalid("The link's position in the log is not valid: open the newest entries.")
    return int(text)


def _fetcher(
    ctx: Context, principal: Principal, ref: FeedRef, feed_id: int, *, audit: bool
) -> Fetch[Any]:
    """Forward reads of the log the caller may read, through the changes service (which
    checks the caller's role on every read) with the continuation token of a position."""
    log = "audit" if audit else "changes"

    async def fetch(after: int, size: int) -> Page[Any]:
        token = Position(log, feed_id, after).token()
        if audit:
            return await reading.list_audit(ctx, principal, ref, token, size)
        return await reading.list_changes(ctx, principal, ref, token, size)

    return fetch


def _row(entry: AuditEntry | Change) -> dict[str, Any]:
    """What a table row shows of an audit entry or a change."""
    if isinstance(entry, AuditEntry):
        facts, who, address = dict(entry.detail), entry.actor, entry.address
    else:
        facts, who, address = {"files": entry.files, "reason": entry.reason}, None, None
    return {
        "seq": entry.seq,
        "at": entry.at,
        "kind": entry.kind,
        "package": entry.package,
        "version": entry.version,
        "view": entry.view,
        "who": who,
        "address": address,
        "facts": _facts(facts),
    }


def _facts(detail: dict[str, Any]) -> list[str]:
    """An entry's facts as short lines ("reason: too slow"), empty ones left out."""
    lines = []
    for key, value in detail.items():
        if value in (None, "", [], {}):
            continue
        if isinstance(value, list):
            text = ", ".join(str(item) for item in value)
        elif isinstance(value, dict):
            text = ", ".join(f"{k}={v}" for k, v in value.items())
        else:
            text = str(value)
        text = text if len(text) <= DETAIL_MAX else text[: DETAIL_MAX - 1] + "…"
        lines.append(f"{key.replace('_', ' ')}: {text}")
    return lines
