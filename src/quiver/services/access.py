"""Who is calling, which feed they mean, and what they may do there.

The read path calls these on every request, so each answer is cached in
``Context.access`` and computed with at most one query on a miss.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from quiver.db.base import utcnow
from quiver.domain.errors import Forbidden, Gone, NotFound, Unauthenticated
from quiver.domain.feed_bin import gone_message
from quiver.domain.roles import SCOPE_CEILING, Role, Scope, Visibility, effective_role
from quiver.domain.tokens import looks_like_token, token_digest
from quiver.services.context import Context
from quiver.services.feeds.models import Feed
from quiver.services.orgs.models import Organization, OrgMember, Project
from quiver.services.permissions.models import FeedRole
from quiver.services.records import ANONYMOUS, FeedInfo, FeedRef, Principal
from quiver.services.tokens.models import Token


def feed_info(feed: Feed, org: str, project: str | None) -> FeedInfo:
    """The read path's frozen record of a feed row."""
    return FeedInfo(
        id=feed.id,
        org_id=feed.org_id,
        org=org,
        project=project,
        name=feed.name,
        visibility=Visibility(feed.visibility),
        serial=feed.serial,
        readers_can_save=feed.readers_can_save,
        deleted_at=feed.deleted_at,
        deleted_by=feed.deleted_by,
    )


async def authenticate(ctx: Context, secret: str | None) -> Principal:
    """Turn a presented token into a Principal; ``None`` means anonymous.

    Raises Unauthenticated for a token that is malformed, unknown, expired or
    revoked, or whose user is disabled, with a reason that never repeats the secret.
    """
    if secret is None:
        return ANONYMOUS
    if not looks_like_token(secret):
        raise Unauthenticated("Invalid credentials: the password is not a Quiver token.")
    digest = token_digest(secret)
    principal = ctx.access.tokens.get(digest)
    if principal is None:
        generation = ctx.access.tokens.generation
        principal = await _load_principal(ctx, digest)
        ctx.access.tokens.put(digest, principal, generation)
    if principal.expires_at is not None and principal.expires_at <= utcnow():
        raise Unauthenticated("This token has expired: create a new one.")
    if principal.token_id is not None:
        ctx.token_usage.add(principal.token_id)
    return principal


async def _load_principal(ctx: Context, digest: str) -> Principal:
    async with ctx.sessions() as session:
        token = await session.scalar(select(Token).where(Token.digest == digest))
        if token is None:
            raise Unauthenticated("Invalid credentials: this token is not known.")
        if token.revoked_at is not None:
            raise Unauthenticated("This token has been revoked.")
        if token.user.disabled_at is not None:  # the cache is dropped when a user is disabled
            raise Unauthenticated("This user is disabled: ask an administrator.")
        feeds = frozenset(f.feed_id for f in token.feeds) if token.feeds else None
        return Principal(
            user_id=token.user_id,
            username=token.user.username,
            is_admin=token.user.is_admin,
            scope=Scope(token.scope),
            token_id=token.id,
            feed_ids=feeds,
            expires_at=token.expires_at,
        )


async def resolve_feed(ctx: Context, ref: FeedRef) -> FeedInfo | None:
    """The feed a reference names, or None."""
    key = ref.path_key
    info = ctx.access.feeds.get(key)
    if info is None:
        generation = ctx.access.feeds.generation
        async with ctx.sessions() as session:
            info = await _load_feed(session, key)
        if info is None:
            return None
        ctx.access.feeds.put(key, info, generation)
    return info


async def _load_feed(session: AsyncSession, path_key: str) -> FeedInfo | None:
    row = (
        await session.execute(
            select(Feed, Organization.name, Project.name)
            .join(Organization, Organization.id == Feed.org_id)
            .outerjoin(Project, Project.id == Feed.project_id)
            .where(Feed.path_key == path_key)
        )
    ).first()
    if row is None:
        return None
    feed, org, project = row
    return feed_info(feed, org, project)


async def role_on(ctx: Context, principal: Principal, feed: FeedInfo) -> Role:
    """The effective role of ``principal`` on ``feed`` (lesser of role and token scope)."""
    assigned, member = Role.NONE, False
    if principal.user_id is not None:
        cached = ctx.access.roles.get((feed.id, principal.user_id))
        if cached is None:
            generation = ctx.access.roles.generation
            cached = await _load_role(ctx, feed, principal.user_id)
            ctx.access.roles.put((feed.id, principal.user_id), cached, generation)
        assigned, member = Role(cached[0]), cached[1]
    return effective_role(
        assigned=assigned,
        visibility=feed.visibility,
        is_org_member=member,
        is_admin=principal.is_admin,
        authenticated=principal.authenticated,
        scope=principal.scope,
    )


async def _load_role(ctx: Context, feed: FeedInfo, user_id: int) -> tuple[int, bool]:
    async with ctx.sessions() as session:
        role = await session.scalar(
            select(FeedRole.role).where(FeedRole.feed_id == feed.id, FeedRole.user_id == user_id)
        )
        member = await session.scalar(
            select(OrgMember.user_id).where(
                OrgMember.org_id == feed.org_id, OrgMember.user_id == user_id
            )
        )
    return (role or 0, member is not None)


ACTION_WORDS = {
    Role.READER: "read this feed",
    Role.COLLABORATOR: "save packages from this feed's upstream sources",
    Role.CONTRIBUTOR: "publish to this feed",
    Role.OWNER: "manage this feed",
}


async def authorize(
    ctx: Context,
    principal: Principal,
    ref: FeedRef,
    needed: Role,
    *,
    include_deleted: bool = False,
) -> FeedInfo:
    """The feed ``ref`` names, if ``principal`` holds ``needed`` on it.

    Anonymous callers who lack the right get 401 (so clients send credentials);
    callers who may not see the feed get 404; callers who see it but lack the
    role get 403 with a sentence naming the role. A token limited to other feeds
    is told so. A feed in the recycle bin is 410 for its readers (unless
    ``include_deleted``: restore, purge and the bin's listing).
    """
    feed = await resolve_feed(ctx, ref)
    if feed is None:
        if not principal.authenticated:
            raise Unauthenticated(f"Authentication required for feed {ref}.")
        raise NotFound(f"Feed {ref} does not exist or you do not have access to it.")
    return await check_role(ctx, principal, ref, feed, needed, include_deleted=include_deleted)


async def check_role(
    ctx: Context,
    principal: Principal,
    ref: FeedRef,
    feed: FeedInfo,
    needed: Role,
    *,
    include_deleted: bool = False,
) -> FeedInfo:
    """``feed`` if ``principal`` holds ``needed`` on it; the errors of ``authorize`` if not.

    ``feed.visibility`` is what grants readers without a role (a view may widen it).
    """
    role = await role_on(ctx, principal, feed)
    if feed.deleted_at is not None and not include_deleted:
        _refuse_deleted(ctx, principal, feed, role)
    if role >= needed and _token_allows(principal, feed):
        return feed
    if not principal.authenticated:
        raise Unauthenticated(f"Authentication required for feed {ref}.")
    if role < Role.READER:
        raise NotFound(f"Feed {ref} does not exist or you do not have access to it.")
    if not _token_allows(principal, feed):
        raise Forbidden(f"This token is limited to other feeds and cannot be used for {ref}.")
    raise Forbidden(
        f"You need the {needed.label} role on feed {ref} to {ACTION_WORDS[needed]}"
        + _scope_hint(principal, needed)
        + "."
    )


def _refuse_deleted(ctx: Context, principal: Principal, feed: FeedInfo, role: Role) -> None:
    """410 with the way back for those who may read the deleted feed; others fall
    through to the usual 401/403/404 (so nothing about it is revealed)."""
    assert feed.deleted_at is not None
    if role >= Role.READER and _token_allows(principal, feed):
        days = ctx.settings.recycle_bin_days
        raise Gone(gone_message(feed.ref, feed.deleted_at, feed.deleted_by, days))


def _token_allows(principal: Principal, feed: FeedInfo) -> bool:
    return principal.feed_ids is None or feed.id in principal.feed_ids


def _scope_hint(principal: Principal, needed: Role) -> str:
    if principal.scope is None or SCOPE_CEILING[principal.scope] >= needed:
        return ""
    ceiling = SCOPE_CEILING[principal.scope].label
    return f" (a {principal.scope.label} token acts at most as {ceiling})"
