"""Your tokens (``/_account/tokens``): list, create, revoke.

The list never shows a secret, only its hint; a new token's secret is in the answer to
the create form alone (status 200, ``Cache-Control: no-store``), never in a URL, a
redirect or a flash message. The rules (name length, scope, feed limits, lifetime, who
may revoke what) and their sentences are the tokens service's.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from quiver.api.deps import get_context
from quiver.api.ui.forms import SignedForm, confirm, form_action, require
from quiver.api.ui.web import page, redirect, viewer
from quiver.domain.errors import NotFound
from quiver.domain.roles import Scope
from quiver.domain.tokens import MAX_TOKEN_DAYS, TOKEN_NAME_MAX
from quiver.services.feeds import service as feeds
from quiver.services.records import Principal
from quiver.services.tokens import service as tokens
from quiver.services.tokens.records import NewToken

router = APIRouter(include_in_schema=False)
TOKENS_PATH = "/_account/tokens"
SCOPES = tuple(scope.label for scope in Scope)
# Checked feeds plus typed ones; more are refused with a sentence rather than cut.
FEED_LIMITS_MAX = 50
DAYS_DIGITS = 9  # more digits are far past MAX_TOKEN_DAYS: refuse before int() of a long text
DEFAULT_DAYS = 90


def lifetime_days(text: str) -> int | None:
    """A lifetime field: empty is no expiry, else whole days (the range is the service's).

    Raises Invalid for anything but digits.
    """
    text = text.strip()
    if not text:
        return None
    require(
        text.isdecimal() and text.isascii(),
        f"Token lifetime must be a whole number of days (1-{MAX_TOKEN_DAYS}).",
    )
    # Past DAYS_DIGITS it is out of range anyway: let the service say so with its sentence.
    return int(text[:DAYS_DIGITS]) if len(text) <= DAYS_DIGITS else MAX_TOKEN_DAYS + 1


def _typed_refs(text: str) -> list[str]:
    """Feed references typed in one field, split at commas, spaces or new lines."""
    return [part for part in re.split(r"[\s,]+", text) if part]


async def _tokens_page(
    request: Request, principal: Principal, created: NewToken | None = None
) -> Response:
    ctx = get_context(request)
    mine = await tokens.list_tokens(ctx, principal)
    readable = await feeds.readable_feeds(ctx, principal)
    context: dict[str, Any] = {
        "tokens": list(reversed(mine)),  # newest first: the one just made is on top
        "feeds": readable,
        "scopes": SCOPES,
        "created": created,
        "now": datetime.now(UTC),
        "name_max": TOKEN_NAME_MAX,
        "days_max": MAX_TOKEN_DAYS,
        "default_days": DEFAULT_DAYS,
    }
    return page(request, "tokens.html", principal, context)


@router.get(TOKENS_PATH)
async def tokens_page(request: Request) -> Response:
    """The caller's tokens and the form to create one; anonymous visitors sign in first."""
    principal = await viewer(request)
    if not principal.authenticated:
        return redirect(request, f"/_auth/signin?next={quote(TOKENS_PATH)}")
    return await _tokens_page(request, principal)


@router.post(TOKENS_PATH)
async def create_token(request: Request) -> Response:
    """Create a token from the form; the answer shows its secret this once."""

    async def action(form: SignedForm) -> Response:
        refs = [*form.getlist("feeds"), *_typed_refs(form.get("feed_refs"))]
        require(
            len(refs) <= FEED_LIMITS_MAX,
            f"A token may be limited to at most {FEED_LIMITS_MAX} feeds here.",
        )
        created = await tokens.create_token(
            get_context(request),
            form.principal,
            name=form.get("name"),
            scope=Scope.parse(form.get("scope", Scope.READ.label)),
            feeds=tokens.feed_limits(dict.fromkeys(refs)),
            expires_in_days=lifetime_days(form.get("days")),
        )
        return await _tokens_page(request, form.principal, created)

    return await form_action(request, action)


@router.post(TOKENS_PATH + "/{token_id}/revoke")
async def revoke_token(request: Request, token_id: str) -> Response:
    """Revoke one of the caller's tokens, after a confirmation; back to the list."""

    async def action(form: SignedForm) -> Response:
        ctx = get_context(request)
        number = int(token_id) if token_id.isdecimal() and len(token_id) <= 18 else 0
        mine = {token.id: token for token in await tokens.list_tokens(ctx, form.principal)}
        token = mine.get(number)
        if not form.confirmed:
            if token is None:
                raise NotFound(f"Token {token_id} does not exist.")
            return confirm(
                request,
                form,
                question=f"Revoke the token “{token.name}”?",
                detail="Every tool using it is refused from now on. This cannot be undone.",
                button="Revoke",
                back=TOKENS_PATH,
                danger=True,
            )
        if number == 0:
            raise NotFound(f"Token {token_id} does not exist.")
        await tokens.revoke_token(ctx, form.principal, number)
        name = f"“{token.name}”" if token is not None else str(number)
        return redirect(request, TOKENS_PATH, f"Token {name} revoked: it no longer works.")

    return await form_action(request, action)
