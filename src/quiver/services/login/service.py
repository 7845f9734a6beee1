"""Use cases of the device login (RFC 8628 shape).

1. ``start``: the CLI asks for a code pair; the device code is its secret, the user
   code what a person types on the approval page.
2. ``decide``: a person signed in with their password approves or denies.
3. ``exchange``: the CLI polls with the device code; once approved it gets a new
   token of the scope and lifetime it asked for, exactly once.

Codes expire (``settings.device_code_seconds``); expiry is computed on read. At most
``settings.device_pending_max`` codes wait at once; rows an hour past expiry are
deleted when the next login starts.

Web sessions (signing in to the web pages) are in ``sessions``, re-exported here:
``start_session``, ``principal_of_session``, ``end_session``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quiver.db.base import utcnow
from quiver.domain.devicecodes import (
    CLIENT_NAME_MAX,
    DEFAULT_TOKEN_DAYS,
    display_user_code,
    new_device_code,
    new_user_code,
    normalize_user_code,
)
from quiver.domain.errors import Conflict, Invalid, NotFound, QuiverError, TooManyRequests
from quiver.domain.roles import Scope
from quiver.domain.tokens import MAX_TOKEN_DAYS, token_digest
from quiver.services.context import Context
from quiver.services.login.models import DeviceCode, DeviceStatus
from quiver.services.login.records import DeviceRequest, DeviceStart, Granted
from quiver.services.login.sessions import end_session as end_session
from quiver.services.login.sessions import principal_of_session as principal_of_session
from quiver.services.login.sessions import start_session as start_session
from quiver.services.tokens.service import issue_token
from quiver.services.users.models import User

DEFAULT_CLIENT = "quiver CLI"
# Rows this long past expiry are deleted on the next start; until then a late poll
# hears "expired" rather than "unknown".
KEEP_FINISHED = timedelta(hours=1)
WAITING = (DeviceStatus.PENDING.value, DeviceStatus.APPROVED.value)
_CODE_ATTEMPTS = 5


class GrantError(QuiverError):
    """The token request is refused; ``error`` is the OAuth error code (RFC 8628 §3.5)."""

    def __init__(self, error: str, message: str) -> None:
        super().__init__(message)
        self.error = error


def _client_name(text: str | None) -> str:
    name = " ".join((text or DEFAULT_CLIENT).split())
    if not name or len(name) > CLIENT_NAME_MAX:
        raise Invalid(f"client_name must be 1-{CLIENT_NAME_MAX} characters.")
    if not name.isprintable():
        raise Invalid("client_name must not contain control characters.")
    return name


def _days(days: int | None) -> int:
    days = DEFAULT_TOKEN_DAYS if days is None else days
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise Invalid(f"expires_in_days must be 1-{MAX_TOKEN_DAYS}.")
    return days


async def start(
    ctx: Context, *, scope: Scope, expires_in_days: int | None, client_name: str | None
) -> DeviceStart:
    """Open a request for a token of ``scope`` living ``expires_in_days`` (default 90).

    Raises Invalid for a lifetime outside 1-3650 days or a bad client name, and
    TooManyRequests while ``settings.device_pending_max`` codes are waiting.
    """
    days, name = _days(expires_in_days), _client_name(client_name)
    lifetime = ctx.settings.device_code_seconds
    device_code = new_device_code()
    for _ in range(_CODE_ATTEMPTS):
        now = utcnow()
        row = DeviceCode(
            digest=token_digest(device_code),
            user_code=new_user_code(),
            scope=int(scope),
            expires_in_days=days,
            client_name=name,
            created_at=now,
            expires_at=now + timedelta(seconds=lifetime),
        )
        if await _insert(ctx, row, ctx.settings.device_pending_max):
            break
    else:
        raise Conflict("No free user code was found: try again.")
    return DeviceStart(
        device_code=device_code,
        user_code=display_user_code(row.user_code),
        expires_in=lifetime,
        interval=ctx.settings.device_poll_seconds,
    )


async def _insert(ctx: Context, row: DeviceCode, cap: int) -> bool:
    """Add ``row`` (dropping rows long expired); False when its user code is taken.

    TooManyRequests when ``cap`` codes are waiting already. Concurrent starts on
    PostgreSQL may each see one free place, so the cap can be passed by as many
    starts as run at once; SQLite's single writer (the delete comes first) cannot.
    """
    now = row.created_at
    try:
        # A plain session: device-code state is bookkeeping, not access or a feed's content.
        async with ctx.sessions() as session, session.begin():
            await session.execute(
                delete(DeviceCode).where(DeviceCode.expires_at < now - KEEP_FINISHED)
            )
            waiting, first_end = (
                await session.execute(
                    select(func.count(), func.min(DeviceCode.expires_at)).where(
                        DeviceCode.status.in_(WAITING), DeviceCode.expires_at > now
                    )
                )
            ).one()
            if waiting >= cap and first_end is not None:
                raise TooManyRequests(
                    "Too many logins are waiting for approval on this server.",
                    (first_end - now).total_seconds(),
                )
            session.add(row)
    except IntegrityError:
        return False
    return True


def _describe(row: DeviceCode) -> DeviceRequest:
    return DeviceRequest(
        user_code=display_user_code(row.user_code),
        scope=Scope(row.scope),
        expires_in_days=row.expires_in_days,
        client_name=row.client_name,
        expires_at=row.expires_at,
    )


async def _open_request(session: AsyncSession, code_text: str, now: datetime) -> DeviceCode:
    """The pending request a typed user code names; NotFound or Conflict otherwise."""
    code = normalize_user_code(code_text)
    row = None
    if code is not None:
        row = await session.scalar(select(DeviceCode).where(DeviceCode.user_code == code))
    if row is None or row.status_at(now) is DeviceStatus.EXPIRED:
        raise NotFound("This code is unknown or has expired.")
    if row.status_at(now) is not DeviceStatus.PENDING:
        raise Conflict(f"This request has been {row.status} already.")
    return row


async def pending_request(ctx: Context, code_text: str) -> DeviceRequest:
    """The pending request a user code names (for the approval page)."""
    async with ctx.sessions() as session:
        return _describe(await _open_request(session, code_text, utcnow()))


async def decide(ctx: Context, code_text: str, user_id: int, *, approve: bool) -> DeviceRequest:
    """The user ``user_id`` (signed in with a password or a web session) approves or
    denies a pending request.

    Approving lets the next poll create a token for ``user``; every scope may be
    asked for, since the token is for the approver's own account. Raises NotFound
    for an unknown or expired code and Conflict when it was decided already.
    """
    status = DeviceStatus.APPROVED if approve else DeviceStatus.DENIED
    now = utcnow()
    # A plain session: a decision changes only the device code's state.
    async with ctx.sessions() as session, session.begin():
        row = await _open_request(session, code_text, now)
        result = await session.execute(
            update(DeviceCode)
            .where(DeviceCode.id == row.id, DeviceCode.status == DeviceStatus.PENDING.value)
            .values(status=status.value, user_id=user_id)
        )
        if cast(CursorResult[Any], result).rowcount != 1:
            raise Conflict("This request has been decided already.")
        return _describe(row)


async def exchange(ctx: Context, device_code: str) -> Granted:
    """The token for an approved request, once; GrantError (with its code) otherwise.

    ``authorization_pending`` while nobody decided, ``slow_down`` when polled
    faster than the interval, ``access_denied``, ``expired_token``, and
    ``invalid_grant`` for unknown or already used codes.
    """
    now = utcnow()
    # A plain session: polls are frequent; the new token is reachable only by its secret.
    async with ctx.sessions() as session, session.begin():
        row = await session.scalar(
            select(DeviceCode).where(DeviceCode.digest == token_digest(device_code))
        )
        if row is None:
            raise GrantError("invalid_grant", "This device code is not known.")
        status = row.status_at(now)
        if status is DeviceStatus.APPROVED:
            return await _grant(session, row)
        refusal = _refusal(row, status, now, ctx.settings.device_poll_seconds)
    raise refusal  # after the commit: the poll time is recorded


def _refusal(row: DeviceCode, status: DeviceStatus, now: datetime, interval: int) -> GrantError:
    """Why a poll gets no token; a pending poll is recorded for ``slow_down``."""
    if status is DeviceStatus.PENDING:
        last, row.last_polled_at = row.last_polled_at, now
        if last is not None and (now - last).total_seconds() < interval * 0.8:
            return GrantError("slow_down", f"Polling too fast: wait {interval} s between polls.")
        return GrantError("authorization_pending", "Waiting for approval in a browser.")
    if status is DeviceStatus.DENIED:
        return GrantError("access_denied", "The request was denied.")
    if status is DeviceStatus.EXPIRED:
        return GrantError("expired_token", "The code has expired.")
    return GrantError("invalid_grant", "This device code has been used already.")


async def _grant(session: AsyncSession, row: DeviceCode) -> Granted:
    """Consume an approved request (only one poll can) and create its token."""
    result = await session.execute(
        update(DeviceCode)
        .where(DeviceCode.id == row.id, DeviceCode.status == DeviceStatus.APPROVED.value)
        .values(status=DeviceStatus.CONSUMED.value)
    )
    user = await session.get(User, row.user_id) if row.user_id is not None else None
    if cast(CursorResult[Any], result).rowcount != 1 or user is None:
        raise GrantError("invalid_grant", "This device code has been used already.")
    created = await issue_token(
        session,
        user.id,
        user.username,
        name=f"quiver login: {row.client_name}",
        scope=Scope(row.scope),
        expires_in_days=row.expires_in_days,
    )
    row.token_id = created.token.id
    return Granted(secret=created.secret, token=created.token, username=user.username)
