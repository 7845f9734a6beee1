"""Two apps on one database, as two server processes: a change through one shows on the other.

Each app has its own caches, kept for 60 seconds here, so only the coherence
mechanism (PostgreSQL NOTIFY, or on SQLite the data-version watch that
``workers`` above 1 turns on) can make the other app see a change within the
second these tests allow.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from quiver.api.negotiation import JSON_V1
from quiver.settings import Settings
from tests.http.publishing import context_of, make_feed
from tests.http.rest_support import client_with, create_token, running_api
from tests.http.simple_support import FEED, publish, simple
from tests.support.dists import build_wheel

Pair = tuple[httpx.AsyncClient, httpx.AsyncClient]
PAGE = simple(FEED, "coho/")


@pytest.fixture
async def pair(settings: Settings) -> AsyncIterator[Pair]:
    shared = settings.model_copy(update={"workers": 2, "access_cache_seconds": 60})
    async with running_api(shared) as first, running_api(shared) as second:
        yield first, second


async def within_a_second(what: str, check: Callable[[], Awaitable[bool]]) -> None:
    deadline = time.monotonic() + 1.0
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within a second")
        await asyncio.sleep(0.02)


async def versions(client: httpx.AsyncClient) -> list[str]:
    response = await client.get(PAGE, headers={"Accept": JSON_V1})
    assert response.status_code == 200, response.text
    return sorted(response.json()["versions"])


async def test_a_publish_shows_on_the_other_app(pair: Pair, tmp_path: Path) -> None:
    first, second = pair
    await make_feed(first, FEED)
    await publish(first, FEED, build_wheel(tmp_path, "coho", "1.0"))
    assert await versions(second) == ["1.0"]
    hits = context_of(second).pages.hits
    assert await versions(second) == ["1.0"]
    assert context_of(second).pages.hits == hits + 1  # the page is cached there

    await publish(first, FEED, build_wheel(tmp_path, "coho", "2.0"))

    async def shown() -> bool:
        return await versions(second) == ["1.0", "2.0"]

    await within_a_second("the new version on the other app", shown)


async def test_a_revoked_token_is_refused_by_the_other_app(pair: Pair) -> None:
    first, second = pair
    await make_feed(first, FEED)
    token_id, secret = await create_token(first, name="short-lived")
    async with client_with(second, secret) as holder:
        assert (await holder.get("/_apis/tokens")).status_code == 200  # cached on the other
        revoked = await first.delete(f"/_apis/tokens/{token_id}")
        assert revoked.status_code == 204, revoked.text

        async def refused() -> bool:
            return (await holder.get("/_apis/tokens")).status_code == 401

        await within_a_second("the refusal on the other app", refused)


async def test_a_deleted_feed_is_gone_on_the_other_app(pair: Pair, tmp_path: Path) -> None:
    first, second = pair
    await make_feed(first, FEED)
    await publish(first, FEED, build_wheel(tmp_path, "coho", "1.0"))
    assert await versions(second) == ["1.0"]
    deleted = await first.delete("/acme/_apis/packaging/feeds/libs")
    assert deleted.status_code == 200, deleted.text

    async def gone() -> bool:
        return (await second.get(PAGE)).status_code == 410

    await within_a_second("410 on the other app", gone)
