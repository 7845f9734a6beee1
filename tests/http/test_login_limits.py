"""Limits on the unauthenticated sign-in flows (issue 11 #8), per client address.

Each test runs an app of its own with small limits; clients on it claim different
addresses (``httpx.ASGITransport(client=...)``), as uvicorn reports them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select, update

from quiver.services.login.models import DeviceCode
from quiver.settings import Settings
from tests.http.publishing import context_of
from tests.http.rest_support import assert_error, running_api
from tests.http.test_login import start, submit, user_with_password


@asynccontextmanager
async def limited_api(settings: Settings, **limits: int) -> AsyncIterator[httpx.AsyncClient]:
    """The admin's client on an app of its own whose limits are ``limits``."""
    async with running_api(settings.model_copy(update=limits)) as api:
        yield api


def from_address(api: httpx.AsyncClient, address: str) -> httpx.AsyncClient:
    """An anonymous client on ``api``'s app whose requests come from ``address``."""
    transport = api._transport
    assert isinstance(transport, httpx.ASGITransport)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=transport.app, client=(address, 40000)),
        base_url=api.base_url,
    )


def too_many(response: httpx.Response, fragment: str, longest: int) -> None:
    """429 with a sentence holding ``fragment`` and a Retry-After of 1..``longest`` s."""
    assert response.status_code == 429, response.text
    assert fragment.lower() in response.text.lower(), response.text
    assert 1 <= int(response.headers["retry-after"]) <= longest, response.headers


async def test_device_starts_are_limited_per_address(settings: Settings) -> None:
    """Issue 11 #8: 1,000 starts in 12 s each made a row."""
    async with (
        limited_api(settings, device_starts_per_minute=3) as api,
        from_address(api, "10.0.0.1") as one,
        from_address(api, "10.0.0.2") as two,
    ):
        for _ in range(3):
            await start(one)
        refused = await one.post("/_apis/auth/device", json={})
        too_many(refused, "too many logins started from your address", 60)
        assert_error(refused, 429)
        await start(two)  # another address is not held up
        async with context_of(api).sessions() as session:
            assert await session.scalar(select(func.count()).select_from(DeviceCode)) == 4


async def test_pending_codes_are_bounded(settings: Settings) -> None:
    """At most so many codes wait per address and on the whole server; old ones go."""
    limits = {"device_pending_per_address": 2, "device_pending_max": 3}
    async with (
        limited_api(settings, **limits) as api,
        from_address(api, "10.0.0.1") as one,
        from_address(api, "10.0.0.2") as two,
        from_address(api, "10.0.0.3") as three,
    ):
        await start(one)
        await start(one)
        too_many(await one.post("/_apis/auth/device"), "waiting for approval", 600)
        await start(two)
        too_many(await three.post("/_apis/auth/device"), "waiting for approval", 600)
        # Expired codes no longer count; codes an hour past expiry are deleted.
        async with context_of(api).sessions() as session, session.begin():
            past = datetime.now(UTC) - timedelta(hours=2)
            await session.execute(update(DeviceCode).values(expires_at=past))
        await start(three)
        async with context_of(api).sessions() as session:
            assert await session.scalar(select(func.count()).select_from(DeviceCode)) == 1


async def test_code_lookups_are_limited_per_address(settings: Settings) -> None:
    """Issue 11 #8: the approval page looked up user codes without limit."""
    async with (
        limited_api(settings, code_lookups_per_minute=3) as api,
        from_address(api, "10.0.0.1") as one,
        from_address(api, "10.0.0.2") as two,
    ):
        for _ in range(3):
            assert (await one.get("/_auth/device", params={"code": "BBBB-BBBB"})).status_code == 404
        limited = await one.get("/_auth/device", params={"code": "BBBB-BBBB"})
        too_many(limited, "too many codes looked up", 60)
        assert (await one.get("/_auth/device")).status_code == 200  # the empty form is no lookup
        too_many(await submit(one, "BBBB-BBBB"), "too many codes looked up", 60)
        assert (await two.get("/_auth/device", params={"code": "BBBB-BBBB"})).status_code == 404


async def test_failed_sign_ins_are_limited_per_address(settings: Settings) -> None:
    """Issue 11 #8: one address spraying many usernames was never held up."""
    async with (
        limited_api(settings, sign_in_failures_per_address=4) as api,
        from_address(api, "10.0.0.1") as one,
        from_address(api, "10.0.0.2") as two,
    ):
        await user_with_password(api)
        first, second = (await start(one))["user_code"], (await start(one))["user_code"]
        for name in ("u1", "u2", "u3"):
            assert (await submit(one, first, username=name)).status_code == 401
        # Signing in correctly in between does not clear the address's failures.
        assert (await submit(one, first)).status_code == 200
        assert (await submit(one, second, username="u4")).status_code == 401
        too_many(await submit(one, second), "too many failed sign-ins", 3600)
        assert (await submit(two, second)).status_code == 200
