"""Personal access tokens: create (the secret is in this answer only), list, revoke."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Query, Response

from quiver.api.deps import ContextDep, PrincipalDep
from quiver.api.rest.schemas import ERRORS, NewTokenOut, TokenCreate, TokenOut
from quiver.domain.roles import Scope
from quiver.services.context import Context
from quiver.services.feeds.service import feed_refs
from quiver.services.users import service as accounts
from quiver.services.users.models import Token

router = APIRouter(prefix="/_apis/tokens", tags=["tokens"], responses=ERRORS)


def token_out(token: Token, username: str, refs: dict[int, str]) -> TokenOut:
    return TokenOut(
        id=token.id,
        name=token.name,
        user=username,
        hint=token.hint,
        scope=Scope(token.scope).label,
        created_at=token.created_at,
        expires_at=token.expires_at,
        revoked_at=token.revoked_at,
        last_used_at=token.last_used_at,
        feeds=sorted(refs[f.feed_id] for f in token.feeds if f.feed_id in refs),
    )


async def _refs(ctx: Context, tokens: Sequence[Token]) -> dict[int, str]:
    return await feed_refs(ctx, (f.feed_id for token in tokens for f in token.feeds))


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
    tokens = await accounts.list_tokens(ctx, principal, user)
    refs = await _refs(ctx, tokens)
    return [token_out(token, token.user.username, refs) for token in tokens]


@router.post("", status_code=201)
async def create_token(ctx: ContextDep, principal: PrincipalDep, body: TokenCreate) -> NewTokenOut:
    """Create a token; the answer holds the secret, which is never shown again.

    Needs a ``packaging:manage`` token. A token never exceeds the one that creates
    it: scope and feed limits at most the creator's, expiry no later than the
    creator's (a longer or missing lifetime is capped; ``expires_at`` says when).
    """
    created = await accounts.create_token(
        ctx,
        principal,
        name=body.name,
        scope=Scope.parse(body.scope),
        for_user=body.user,
        feeds=body.feed_refs(),
        expires_in_days=body.expires_in_days,
    )
    owner = body.user or principal.username or ""
    meta = token_out(created.token, owner, await _refs(ctx, [created.token]))
    return NewTokenOut(**meta.model_dump(), token=created.secret)


@router.delete("/{token_id}", status_code=204)
async def revoke_token(ctx: ContextDep, principal: PrincipalDep, token_id: int) -> Response:
    """Revoke a token at once (your own; administrators: anyone's).

    A token may always revoke itself; any other needs a ``packaging:manage`` token.
    """
    await accounts.revoke_token(ctx, principal, token_id)
    return Response(status_code=204)
