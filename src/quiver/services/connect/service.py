"""The snippets to use a feed from a tool, for a caller who may read it.

The text comes from ``quiver.domain.snippets`` and never holds a token.
"""

from __future__ import annotations

from quiver.domain.snippets import Connection, connect_snippets
from quiver.services.context import Context
from quiver.services.records import FeedRef, Principal
from quiver.services.views.service import readable_view


async def snippets(
    ctx: Context, principal: Principal, ref: FeedRef, server: str, tool: str
) -> Connection:
    """What to paste to use ``ref`` (a feed or a view) from ``tool``; ``server`` is the
    base URL the caller reaches this server by.

    Readers of the feed or view only (the errors of ``authorize``: anonymous callers of
    a private feed are ``Unauthenticated``); then ``Invalid`` for an unknown tool.
    """
    feed, _view = await readable_view(ctx, principal, ref)
    return connect_snippets(server, feed.org, feed.project, feed.name, ref.view, tool)


__all__ = ["snippets"]
