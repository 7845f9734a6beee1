"""Personal access tokens: create (the secret is in this answer only), list, revoke."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from quiver.api.deps import ContextDep, PrincipalDep
from quiver.api.rest.schemas import ERRORS, NewTokenOut, TokenCreate, TokenOut
from quiver.domain.roles import Scope
from quiver.services.tokens import service as tokens
from quiver.services.tokens.records import TokenInfo

router = APIRouter(prefix="/_apis/tokens", tags=["tokens"], responses=ERRORS)


def token_out(token: TokenInfo) -> TokenOut:
    return TokenOut(
        id=token.id,
        name=token.name,
        user=token.username,
        hint=token.hint,
        scope=token.scope.label,
        created_at=token.created_at,
        expires_at=token.expires_at,
        revoked_at=token.revoked_at,
        last_used_at=token.last_used_at,
        feeds=list(token.feeds),
    )


@router.get("")
async def list_tokens(
    ctx: ContextDep,
    principal: PrincipalDep,
    user: str | None = Query(default=None, description="Another user's (administrators)"),
) -> list[TokenOut]:
    """The caller's tokens, newest last; administrators may ask for another user's.

    Needs a ``packaging:manage`` token; one limited to feeds lists only itself and
    the tokens limited within its feeds.
    """
    return [token_out(token) for token in await tokens.list_tokens(ctx, principal, user)]


@router.post("", status_code=201)
async def create_token(ctx: ContextDep, principal: PrincipalDep, body: TokenCreate) -> NewTokenOut:
    """Create a token; the answer holds the secret, which is never shown again.

    Needs a ``packaging:manage`` token. A token never exceeds the one that creates
    it: scope and feed limits at most the creator's, expiry no later than the
    creator's (a longer or missing lifetime is capped; ``expires_at`` says when).
    """
    created = await tokens.create_token(
        ctx,
        principal,
        name=body.name,
        scope=Scope.parse(body.scope),
        for_user=body.user,
        feeds=tokens.feed_limits(body.feeds),
        expires_in_days=body.expires_in_days,
    )
    return NewTokenOut(**token_out(created.token).model_dump(), token=created.secret)


@router.delete("/{token_id}", status_code=204)
async def revoke_token(ctx: ContextDep, principal: PrincipalDep, token_id: int) -> Response:
    """Revoke a token at once (your own; administrators: anyone's).

    A token may always revoke itself; any other needs a ``packaging:manage`` token.
    """
    await tokens.revoke_token(ctx, principal, token_id)
    return Response(status_code=204)
