"""What every feed settings page shares: the feed of the URL if the caller may manage it,
the pages' paths, and where to go once a change is made.

Access is the services' rule (``access.authorize`` with the owner role, as every settings
use case checks): owners and administrators pass; anonymous visitors get 401 (the error
page links to sign-in), readers and the rest 403, and those who may not see the feed 404.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from quiver.api.deps import feed_ref, get_context
from quiver.api.ui.web import feed_path, page
from quiver.domain.errors import NotFound, QuiverError
from quiver.domain.roles import Role, Visibility
from quiver.services.access import authorize
from quiver.services.feeds import service as feeds
from quiver.services.feeds.records import FeedDetails
from quiver.services.records import FeedRef, Principal

VISIBILITIES = [item.value for item in Visibility]
ROLES = [role.label for role in Role if role is not Role.NONE]


def settings_ref(request: Request) -> FeedRef:
    """The feed the URL names; settings are the feed's own, never a view's."""
    ref = feed_ref(request)
    if ref.view is not None:
        raise NotFound("Views have no settings pages: open the feed's settings.")
    return ref


async def owned_feed(request: Request, principal: Principal) -> FeedDetails:
    """The URL's feed if ``principal`` may manage it (owners, administrators).

    Raises the service's Unauthenticated, Forbidden, NotFound or Gone otherwise.
    """
    ctx, ref = get_context(request), settings_ref(request)
    await authorize(ctx, principal, ref, Role.OWNER)
    return await feeds.get_feed(ctx, principal, ref)


def settings_path(feed: FeedDetails, section: str = "") -> str:
    """The path of a settings page of ``feed`` (``section`` "" is the general page)."""
    base = feed_path(feed.org, feed.project, feed.name) + "/settings"
    return f"{base}/{section}" if section else base


async def landing(request: Request, principal: Principal, feed: FeedDetails, section: str) -> str:
    """Where to go after a change that may have taken the caller's own role away: the
    settings page while they still manage the feed, else its page while they read it,
    else the home page."""
    ctx, ref = get_context(request), settings_ref(request)
    for needed, path in (
        (Role.OWNER, settings_path(feed, section)),
        (Role.READER, feed_path(feed.org, feed.project, feed.name)),
    ):
        try:
            await authorize(ctx, principal, ref, needed)
        except QuiverError:
            continue
        return path
    return "/"


def settings_page(
    request: Request,
    template: str,
    principal: Principal,
    feed: FeedDetails,
    context: dict[str, Any],
) -> HTMLResponse:
    """Render a settings page with the feed, its page's ``path`` (for the tabs) and the
    choices every form offers."""
    common = {
        "feed": feed,
        "path": feed_path(feed.org, feed.project, feed.name),
        "visibilities": VISIBILITIES,
        "roles": ROLES,
    }
    return page(request, template, principal, {**common, **context})
