"""Use cases for personal access tokens: create, issue, list, revoke; their last use."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from quiver.db.base import utcnow
from quiver.domain.errors import Forbidden, Invalid, NotFound
from quiver.domain.names import split_feed_ref
from quiver.domain.roles import Role, Scope
from quiver.domain.tokens import MAX_TOKEN_DAYS, TOKEN_NAME_MAX, new_token
from quiver.services.access import authorize
from quiver.services.context import Context
from quiver.services.feeds.service import feed_refs
from quiver.services.records import FeedRef, Principal
from quiver.services.tokens.models import Token, TokenFeed
from quiver.services.tokens.records import NewToken, TokenInfo
from quiver.services.unitofwork import unit_of_work
from quiver.services.users.service import get_user, require_admin


def _info(token: Token, username: str, refs: dict[int, str]) -> TokenInfo:
    return TokenInfo(
        id=token.id,
        name=token.name,
        username=username,
        hint=token.hint,
        scope=Scope(token.scope),
        created_at=token.created_at,
        expires_at=token.expires_at,
        revoked_at=token.revoked_at,
        last_used_at=token.last_used_at,
        feeds=tuple(sorted(refs[f.feed_id] for f in token.feeds if f.feed_id in refs)),
    )


async def _infos(ctx: Context, tokens: Sequence[tuple[Token, str]]) -> list[TokenInfo]:
    """Records of ``(token, owner's name)`` pairs, their feed limits named by ref."""
    refs = await feed_refs(ctx, (f.feed_id for token, _ in tokens for f in token.feeds))
    return [_info(token, username, refs) for token, username in tokens]


async def create_token(
    ctx: Context,
    principal: Principal,
    *,
    name: str,
    scope: Scope,
    for_user: str | None = None,
    feeds: Sequence[FeedRef] = (),
    expires_in_days: int | None = None,
) -> NewToken:
    """Create a token for the caller (or, for administrators, for ``for_user``).

    Needs a ``packaging:manage`` token (Forbidden otherwise). A token never
    exceeds the one that creates it: a higher scope or a feed outside the
    creator's limit is refused (Forbidden); without ``feeds`` the new token gets
    the creator's limit; its expiry is the earlier of ``expires_in_days`` from now
    and the creating token's expiry, so an expiring token never makes one that outlives
    it. A web session (a caller with no token, who proved their password) is not capped
    by its own sliding expiry: it may create any token a password-holder may.
    The token's ``username`` is ``for_user`` as given, else the caller's name.
    """
    require_token_manager(principal)
    if principal.scope is not None and scope > principal.scope:
        raise Forbidden(f"A {principal.scope.label} token cannot create a {scope.label} token.")
    if not name or len(name) > TOKEN_NAME_MAX:
        raise Invalid(f"Token name must be 1-{TOKEN_NAME_MAX} characters.")
    creator_expiry = principal.expires_at if principal.token_id is not None else None
    expires_at = _capped(_expiry(expires_in_days), creator_expiry)
    feed_ids = await _token_feed_ids(ctx, principal, feeds)
    secret = new_token()
    async with unit_of_work(ctx) as work:
        user_id = principal.user_id
        if for_user is not None:
            user = await get_user(work.session, for_user)
            if user.id != principal.user_id:
                require_admin(principal)
            user_id = user.id
        assert user_id is not None
        row = Token.issued(user_id, name, secret, scope, expires_at)
        row.feeds = [TokenFeed(feed_id=feed_id) for feed_id in feed_ids]
        work.session.add(row)
        await work.session.flush()
    owner = for_user or principal.username or ""
    [created] = await _infos(ctx, [(row, owner)])
    return NewToken(secret=secret, token=created)


async def issue_token(
    session: AsyncSession,
    user_id: int,
    username: str,
    *,
    name: str,
    scope: Scope,
    expires_in_days: int | None,
) -> NewToken:
    """Add a new token for ``user_id`` to ``session``; the caller owns the transaction.

    For use cases that decide on their own who gets a token (device login). The
    name is cut to the longest allowed; the token is limited to no feed.
    """
    secret = new_token()
    expires_at = _expiry(expires_in_days)
    row = Token.issued(user_id, name[:TOKEN_NAME_MAX], secret, scope, expires_at)
    row.feeds = []  # known already: no lazy load when the record is made
    session.add(row)
    await session.flush()
    return NewToken(secret=secret, token=_info(row, username, {}))


def require_token_manager(principal: Principal) -> int:
    """The caller's user id when its token may manage tokens; Forbidden otherwise.

    Managing tokens (create, list, revoke another) needs ``packaging:manage``:
    a read or write token handed to a tool must not mint or end credentials.
    """
    user_id = principal.require_user()
    if principal.scope is not None and principal.scope < Scope.MANAGE:
        raise Forbidden(
            f"Managing tokens needs a {Scope.MANAGE.label} token and this one is "
            f"{principal.scope.label}: use a {Scope.MANAGE.label} token."
        )
    return user_id


def _capped(asked: datetime | None, creator: datetime | None) -> datetime | None:
    """The new token's expiry: what was asked for, but never past the creator's.

    Capped rather than refused: lifetimes are asked for in whole days from now,
    so "as long as my token" cannot be asked for exactly (see docs/design/decisions.md).
    """
    if creator is None:
        return asked
    return creator if asked is None or asked > creator else asked


def _within_reach(principal: Principal, token: Token) -> bool:
    """Whether the caller may see and revoke ``token`` (of a user it may manage).

    A token limited to feeds reaches itself and tokens limited within its feeds
    only: those it could have created. Others reach every token of the user.
    """
    if principal.feed_ids is None or token.id == principal.token_id:
        return True
    feeds = {limit.feed_id for limit in token.feeds}
    return bool(feeds) and feeds <= principal.feed_ids


def _expiry(days: int | None) -> datetime | None:
    if days is None:
        return None
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise Invalid(f"Token lifetime must be 1-{MAX_TOKEN_DAYS} days.")
    return utcnow() + timedelta(days=days)


async def _token_feed_ids(
    ctx: Context, principal: Principal, feeds: Sequence[FeedRef]
) -> list[int]:
    ids: list[int] = []
    for ref in feeds:
        # authorize, not just resolve: a limit must not reveal feeds the caller cannot see.
        feed = await authorize(ctx, principal, ref, Role.READER)
        if principal.feed_ids is not None and feed.id not in principal.feed_ids:
            raise Forbidden(f"Your token is not valid for feed {ref}.")
        ids.append(feed.id)
    if not ids and principal.feed_ids is not None:
        # A limited token may only create tokens limited the same way.
        ids = sorted(principal.feed_ids)
    return sorted(set(ids))


def feed_limits(texts: Iterable[str]) -> list[FeedRef]:
    """The feeds ``texts`` name (``org/feed`` or ``org/project/feed``), for a token's
    limit; Invalid for a malformed reference or a view (a limit is a whole feed)."""
    refs = []
    for text in texts:
        org, project, feed, view = split_feed_ref(text)
        if view is not None:
            raise Invalid(f"A token is limited to feeds, not views: {text!r}.")
        refs.append(FeedRef(org, project, feed))
    return refs


async def list_tokens(
    ctx: Context, principal: Principal, for_user: str | None = None
) -> list[TokenInfo]:
    """The caller's tokens, or (administrators) another user's, oldest first.

    Needs a ``packaging:manage`` token; a token limited to feeds sees only the
    tokens within its reach (itself and tokens limited within its feeds).
    """
    user_id = require_token_manager(principal)
    async with ctx.sessions() as session:
        await flush_token_usage(ctx, session)
        if for_user is not None:
            user = await get_user(session, for_user)
            if user.id != user_id:
                require_admin(principal)
            user_id = user.id
        query = select(Token).where(Token.user_id == user_id).order_by(Token.id)
        tokens = (await session.scalars(query)).all()
        mine = [(token, token.user.username) for token in tokens]
    return await _infos(ctx, [(t, name) for t, name in mine if _within_reach(principal, t)])


async def revoke_token(ctx: Context, principal: Principal, token_id: int) -> None:
    """Revoke one of the caller's tokens (administrators: anyone's); takes effect at once.

    A token may always revoke itself; revoking another needs ``packaging:manage``
    and, for a token limited to feeds, a token within its reach (Forbidden).
    """
    user_id = principal.require_user()
    itself = token_id == principal.token_id
    if not itself:
        require_token_manager(principal)
    async with unit_of_work(ctx) as work:
        token = await work.session.get(Token, token_id)
        if token is None or (token.user_id != user_id and not principal.is_admin):
            raise NotFound(f"Token {token_id} does not exist.")
        if not _within_reach(principal, token):
            raise Forbidden(
                "Your token is limited to some feeds: it may revoke only itself and "
                "tokens limited to those feeds."
            )
        if token.revoked_at is None:
            token.revoked_at = utcnow()


async def flush_token_usage(ctx: Context, session: AsyncSession | None = None) -> None:
    """Write the buffered last-used times; called off the request path.

    A plain session, not a unit of work: frequent bookkeeping that changes neither
    access nor what a feed shows, so no caches need invalidating.
    """
    used, ctx.token_usage = ctx.token_usage, set()
    if not used:
        return
    statement = update(Token).where(Token.id.in_(used)).values(last_used_at=utcnow())
    if session is not None:
        await session.execute(statement)
        await session.commit()
        return
    async with ctx.sessions() as own, own.begin():
        await own.execute(statement)
