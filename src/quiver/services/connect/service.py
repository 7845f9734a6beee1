"""The snippets to use a feed from a tool, for a caller who may read it; and a token made
for them (the web page's "Create a token for this").

The text comes from ``quiver.domain.snippets``; it holds a token only in the answer of
``connect_token``, the one place a new token's secret is shown.
"""

from __future__ import annotations

from quiver.domain.errors import Invalid
from quiver.domain.roles import Scope
from quiver.domain.snippets import (
    INSTALLING_TOOLS,
    PUBLISHING_TOOLS,
    TOOLS,
    Connection,
    connect_snippets,
)
from quiver.domain.tokens import TOKEN_NAME_MAX
from quiver.services.context import Context
from quiver.services.records import FeedRef, Principal
from quiver.services.tokens import service as tokens
from quiver.services.tokens.records import NewToken
from quiver.services.views.service import readable_view

INSTALL = "install"
PUBLISH = "publish"
# Installing needs only reads; publishing needs packaging:write (and, on the feed, the
# contributor role, which the token cannot grant: the role stays the person's).
PURPOSE_SCOPES = {INSTALL: Scope.READ, PUBLISH: Scope.WRITE}


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


def purposes(tool: str) -> tuple[str, ...]:
    """What a token for ``tool`` may be for: ``install``, ``publish`` or both (in that
    order); Invalid for an unknown tool."""
    chosen = tool.strip().lower()
    if chosen not in TOOLS:
        raise Invalid(f"Unknown tool {tool!r}: use one of {', '.join(TOOLS)}.")
    return tuple(
        purpose
        for purpose, tools in ((INSTALL, INSTALLING_TOOLS), (PUBLISH, PUBLISHING_TOOLS))
        if chosen in tools
    )


def scope_for(tool: str, purpose: str) -> Scope:
    """The scope a token for ``tool`` needs for ``purpose`` (empty: the tool's only
    purpose, else install). Invalid for an unknown tool or a purpose the tool lacks."""
    allowed = purposes(tool)
    chosen = purpose.strip().lower() or (allowed[0] if len(allowed) == 1 else INSTALL)
    if chosen not in allowed:
        raise Invalid(
            f"A token for {tool.strip().lower()} is for {' or '.join(allowed)}, not {purpose!r}."
        )
    return PURPOSE_SCOPES[chosen]


async def connect_token(
    ctx: Context,
    principal: Principal,
    ref: FeedRef,
    server: str,
    *,
    tool: str,
    purpose: str,
    expires_in_days: int | None,
) -> tuple[NewToken, Connection]:
    """A new personal access token of the caller, limited to ``ref``'s feed, with the
    scope ``tool`` needs for ``purpose`` (``scope_for``); and the snippets holding it.

    The caller must read the feed or view (``snippets``); then the rules of
    ``tokens.create_token`` apply (a token-manager caller, the feed readable, the
    lifetime 1..MAX_TOKEN_DAYS days and never past the creating token's).
    """
    found, _view = await readable_view(ctx, principal, ref)
    chosen = tool.strip().lower()
    scope = scope_for(chosen, purpose)
    label = INSTALL if scope is Scope.READ else PUBLISH
    created = await tokens.create_token(
        ctx,
        principal,
        name=f"{chosen} {label} {found.ref}"[:TOKEN_NAME_MAX],
        scope=scope,
        feeds=[FeedRef(found.org, found.project, found.name)],
        expires_in_days=expires_in_days,
    )
    filled = connect_snippets(
        server, found.org, found.project, found.name, ref.view, chosen, token=created.secret
    )
    return created, filled


__all__ = ["connect_token", "purposes", "scope_for", "snippets"]
