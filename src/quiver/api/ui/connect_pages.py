"""The feed's connect page (snippets per tool, a token made for them).

Paths, under ``/{org}`` and ``/{org}/{project}``: ``GET /_artifacts/feed/{feed}/connect``
(``?tool=`` one of ``domain.snippets.TOOLS``, ``?view=`` a view of the feed; ``{feed}``
may also carry ``@view``) for whoever reads the feed or view, anonymous visitors of a
public one too; and ``POST …/connect/token``, for signed-in people: a personal access
token limited to this feed with the scope the tool needs, shown once in the answer (200,
never a redirect, so the secret is in no URL) and filled into the snippets.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from quiver.api.deps import feed_ref, get_context
from quiver.api.rest.feeds import base_url
from quiver.api.ui.forms import SignedForm, form_action
from quiver.api.ui.tokens_pages import lifetime_days
from quiver.api.ui.web import error_page, feed_path, page, viewer
from quiver.domain.errors import QuiverError
from quiver.domain.snippets import DEFAULT_TOOL, TOOLS, Connection
from quiver.services.connect import service as connecting
from quiver.services.records import FeedRef, Principal
from quiver.services.tokens.records import NewToken
from quiver.services.views import service as views
from quiver.services.views.models import LOCAL_VIEW

router = APIRouter(include_in_schema=False)
CONNECT = "/_artifacts/feed/{feed}/connect"
NAME_MAX = 100  # a tool or view name longer than this is no tool or view: cut before use
LIFETIMES = (7, 30, 90, 365)  # days offered for a token made here
DEFAULT_LIFETIME = 90
PURPOSE_LABELS = {
    connecting.INSTALL: "Install (packaging:read)",
    connecting.PUBLISH: "Publish (packaging:write)",
}


def _ref(request: Request, view: str | None) -> FeedRef:
    """The feed of the path with the chosen view (``view`` wins over ``feed@view``);
    ``local`` and empty mean the feed itself."""
    ref = feed_ref(request)
    chosen = ((ref.view or "") if view is None else view).strip()[:NAME_MAX]
    if chosen.casefold() == LOCAL_VIEW:
        chosen = ""
    return replace(ref, view=chosen or None)


def _link(path: str, tool: str, view: str | None) -> str:
    """The connect page for ``tool`` and ``view`` (the feed itself when None)."""
    query = {"tool": tool, **({"view": view} if view else {})}
    return f"{path}/connect?{urlencode(query)}"


async def _view_names(request: Request, principal: Principal, ref: FeedRef) -> list[str]:
    """The feed's views besides ``local``; none when the caller reads only this view."""
    try:
        found = await views.list_views(get_context(request), principal, ref)
    except QuiverError:
        return []
    return [view.name for view in found if view.name.casefold() != LOCAL_VIEW]


async def _connect_page(
    request: Request,
    principal: Principal,
    ref: FeedRef,
    connection: Connection,
    created: NewToken | None = None,
) -> Response:
    path = feed_path(ref.org, ref.project, ref.feed)
    names = await _view_names(request, principal, ref)
    tool = connection.tool
    context: dict[str, Any] = {
        "ref": ref,
        "feed_label": connection.feed.split("@")[0],
        "path": path,
        "connection": connection,
        "tabs": [(name, _link(path, name, ref.view), name == tool) for name in TOOLS],
        "views": [
            (label, _link(path, tool, view), (view or None) == ref.view)
            for label, view in [("The feed itself", None), *((f"@{n}", n) for n in names)]
        ],
        "purposes": [(p, PURPOSE_LABELS[p]) for p in connecting.purposes(tool)],
        "lifetimes": LIFETIMES,
        "default_lifetime": DEFAULT_LIFETIME,
        "action": f"{path}/connect/token",
        "created": created,
    }
    return page(request, "connect.html", principal, context)


@router.get(CONNECT)
async def connect_page(
    request: Request, tool: str = DEFAULT_TOOL, view: str | None = None
) -> Response:
    """The snippets and notes of one tool for the feed or one of its views."""
    principal = await viewer(request)
    try:
        ref = _ref(request, view)
        found = await connecting.snippets(
            get_context(request), principal, ref, base_url(request), tool[:NAME_MAX]
        )
    except QuiverError as err:
        return error_page(request, principal, err)
    return await _connect_page(request, principal, ref, found)


@router.post(CONNECT + "/token")
async def connect_token(request: Request) -> Response:
    """Create a token for the chosen tool (its scope from the purpose), limited to this
    feed; the answer is the connect page with the token shown once and in the snippets."""

    async def action(form: SignedForm) -> Response:
        ref = _ref(request, form.get("view"))
        created, filled = await connecting.connect_token(
            get_context(request),
            form.principal,
            ref,
            base_url(request),
            tool=form.get("tool", DEFAULT_TOOL)[:NAME_MAX],
            purpose=form.get("purpose")[:NAME_MAX],
            expires_in_days=lifetime_days(form.get("days")),
        )
        return await _connect_page(request, form.principal, ref, filled, created)

    return await form_action(request, action)
