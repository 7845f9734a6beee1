"""What a feed's retention, recycle-bin, change-log and delete pages share: the feed the
path names, the owners' gate, the settings tabs' context and paging of a list.

Paths, under ``/{org}`` and ``/{org}/{project}``: ``/_artifacts/feed/{feed}/settings/…``.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from quiver.api.deps import feed_ref, get_context
from quiver.api.ui.web import feed_path
from quiver.domain.errors import Forbidden, Invalid, NotFound
from quiver.domain.roles import Role
from quiver.services.feeds import service as feeds
from quiver.services.feeds.records import FeedDetails
from quiver.services.records import FeedRef, Principal

SETTINGS = "/_artifacts/feed/{feed}/settings"
PAGE_SIZE = 50
PAGE_MAX = 1_000_000


def the_feed(request: Request) -> FeedRef:
    """The feed the path names; NotFound for a view (views have no settings of their own)."""
    ref = feed_ref(request)
    if ref.view is not None:
        raise NotFound("Views have no settings pages: open the feed itself.")
    return ref


def path_of(ref: FeedRef) -> str:
    """The feed's page path (the settings pages hang below it)."""
    return feed_path(ref.org, ref.project, ref.feed)


async def readable_feed(request: Request, principal: Principal) -> FeedDetails:
    """The feed, if ``principal`` may read it (the feeds service decides), with their role."""
    return await feeds.get_feed(get_context(request), principal, the_feed(request))


async def owned_feed(request: Request, principal: Principal) -> FeedDetails:
    """The feed, if ``principal`` owns it (administrators do); Forbidden for its other
    readers, and the feeds service's errors (401, 404, 410) for everyone else."""
    feed = await readable_feed(request, principal)
    if feed.role < Role.OWNER:
        raise Forbidden(f"Only the owners of feed {feed.ref} can do this.")
    return feed


def settings_context(feed: FeedDetails, section: str) -> dict[str, Any]:
    """What ``_settings_nav.html`` and the pages' headings need."""
    return {
        "feed": feed,
        "path": feed_path(feed.org, feed.project, feed.name),
        "section": section,
        "is_owner": feed.role >= Role.OWNER,
    }


def page_number(text: str) -> int:
    """``?page=`` as a number from 1; anything else is page 1 (a stale link stays harmless)."""
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) <= PAGE_MAX else 1


def page_of(items: list[Any], number: int) -> tuple[list[Any], int, int]:
    """The ``number``-th slice of PAGE_SIZE ``items``, the page shown (at most the last
    one) and how many pages there are."""
    pages = max(1, -(-len(items) // PAGE_SIZE))
    shown = min(number, pages)
    return items[(shown - 1) * PAGE_SIZE : shown * PAGE_SIZE], shown, pages


def required(form_value: str, label: str, limit: int = 200) -> str:
    """A form field that must be present; Invalid (400) when empty or longer than ``limit``
    (the services check what a valid value is)."""
    if not form_value:
        raise Invalid(f"The form did not say which {label}: reload the page and try again.")
    if len(form_value) > limit:
        raise Invalid(f"That {label} is too long: at most {limit} characters.")
    return form_value
