"""Fetching from upstream indexes: a real httpx client against fake indexes on loopback.

No database: ``UpstreamClient`` and ``UpstreamCache`` only need settings and an HTTP
client (the one the app's lifespan makes).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from quiver.api.app import upstream_http_client
from quiver.domain.errors import UpstreamError
from quiver.services.upstreams.cache import UpstreamCache
from quiver.services.upstreams.client import ACCEPT, IndexSource, UpstreamClient
from quiver.settings import MIB, Settings
from tests.support.fake_index import (
    FakeIndex,
    Reply,
    html_reply,
    json_reply,
    redirect_reply,
    zeros,
)
from tests.support.ports import free_port

SHA = "ab" * 32
SECRET = "s3cret-upstream-password"
PAGE_PATH = "/simple/foo-bar/"


def page_doc(*filenames: str, url_prefix: str = "") -> dict[str, Any]:
    return {
        "meta": {"api-version": "1.1"},
        "name": "foo-bar",
        "versions": ["1.0"],
        "files": [
            {"filename": f, "url": url_prefix + f, "hashes": {"sha256": SHA}} for f in filenames
        ],
    }


@pytest.fixture
def upstream() -> Iterator[FakeIndex]:
    with FakeIndex() as index:
        yield index


@pytest.fixture
def cdn() -> Iterator[FakeIndex]:
    with FakeIndex() as index:
        yield index


@pytest.fixture
def upstream_settings(tmp_path: Path) -> Settings:
    # Small timeouts: a broken upstream must fail the test fast, not hang it. No
    # background refresh unless a test asks for it: an expired page makes the caller wait.
    return Settings(
        data_dir=tmp_path,
        upstream_stale_seconds=0,
        upstream_connect_timeout=1.0,
        upstream_read_timeout=0.5,
        max_upload_bytes=1 * MIB,
    )


@pytest.fixture
async def http(upstream_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with upstream_http_client(upstream_settings) as client:
        yield client


@pytest.fixture
def client(http: httpx.AsyncClient, upstream_settings: Settings) -> UpstreamClient:
    return UpstreamClient(http, upstream_settings)


def cache_with(client: UpstreamClient, settings: Settings, **changes: Any) -> UpstreamCache:
    return UpstreamCache(client, settings.model_copy(update=changes))


def source_of(index: FakeIndex, **auth: Any) -> IndexSource:
    return IndexSource(f"{index.url}/simple/", **auth)


async def test_json_is_asked_for_first_and_relative_urls_resolved(
    upstream: FakeIndex, client: UpstreamClient
) -> None:
    upstream.route(PAGE_PATH, json_reply(page_doc("foo_bar-1.0.tar.gz", url_prefix="../../f/")))
    page = await client.fetch_page(source_of(upstream), "Foo.Bar")
    assert page is not None
    assert page.name == "foo-bar"
    assert page.versions == ("1.0",)
    (remote,) = page.files
    assert remote.url == f"{upstream.url}/f/foo_bar-1.0.tar.gz"
    assert remote.hashes == {"sha256": SHA}
    (seen,) = upstream.seen(PAGE_PATH)
    assert seen.headers["accept"] == ACCEPT
    assert "authorization" not in seen.headers


async def test_html_fallback(upstream: FakeIndex, client: UpstreamClient) -> None:
    upstream.route(
        PAGE_PATH,
        html_reply(
            '<html><body><a href="/packages/foo_bar-1.0.tar.gz#sha256=' + SHA + '" '
            'data-requires-python="&gt;=3.8">foo_bar-1.0.tar.gz</a></body></html>'
        ),
    )
    page = await client.fetch_page(source_of(upstream), "foo-bar")
    assert page is not None
    (remote,) = page.files
    assert remote.url == f"{upstream.url}/packages/foo_bar-1.0.tar.gz"
    assert remote.requires_python == ">=3.8"
    assert remote.hashes == {"sha256": SHA}


async def test_redirects_are_followed_and_links_resolved_against_the_final_url(
    upstream: FakeIndex, client: UpstreamClient
) -> None:
    upstream.route(PAGE_PATH, redirect_reply("/moved/foo-bar/", 301))
    upstream.route("/moved/foo-bar/", html_reply('<a href="foo_bar-1.0.tar.gz">x</a>'))
    page = await client.fetch_page(source_of(upstream), "foo-bar")
    assert page is not None
    assert page.page_url == f"{upstream.url}/moved/foo-bar/"
    assert page.files[0].url == f"{upstream.url}/moved/foo-bar/foo_bar-1.0.tar.gz"


async def test_redirect_loops_are_bounded(upstream: FakeIndex, client: UpstreamClient) -> None:
    upstream.route(PAGE_PATH, redirect_reply(PAGE_PATH))
    with pytest.raises(UpstreamError, match="redirects"):
        await client.fetch_page(source_of(upstream), "foo-bar")
    assert upstream.count(PAGE_PATH) == 6


@pytest.mark.parametrize("status", [404, 410])
async def test_missing_names_are_none_and_cached_briefly(
    upstream: FakeIndex, client: UpstreamClient, upstream_settings: Settings, status: int
) -> None:
    upstream.route(PAGE_PATH, Reply(status))
    cache = cache_with(client, upstream_settings, upstream_negative_ttl_seconds=0.3)
    source = source_of(upstream)
    first = await cache.get_page(source, "foo-bar")
    second = await cache.get_page(source, "Foo_Bar")
    assert first.page is None and not first.stale
    assert second is first
    assert upstream.count(PAGE_PATH) == 1
    assert (cache.fetches[source.url], cache.hits[source.url]) == (1, 1)
    await asyncio.sleep(0.35)
    await cache.get_page(source, "foo-bar")
    assert upstream.count(PAGE_PATH) == 2


async def test_pages_are_fresh_for_the_ttl(
    upstream: FakeIndex, client: UpstreamClient, upstream_settings: Settings
) -> None:
    upstream.route(PAGE_PATH, json_reply(page_doc("foo_bar-1.0.tar.gz")))
    cache = cache_with(client, upstream_settings, upstream_ttl_seconds=0.3)
    source = source_of(upstream)
    first = await cache.get_page(source, "foo-bar")
    assert (await cache.get_page(source, "foo-bar")) is first
    assert upstream.count(PAGE_PATH) == 1
    await asyncio.sleep(0.35)
    upstream.route(PAGE_PATH, json_reply(page_doc("foo_bar-1.0.tar.gz", "foo_bar-2.0.tar.gz")))
    refreshed = await cache.get_page(source, "foo-bar")
    assert upstream.count(PAGE_PATH) == 2
    assert refreshed.page is not None and len(refreshed.page.files) == 2
    assert refreshed.serial > first.serial and refreshed.fetched_at >= first.fetched_at
    cache.invalidate(upstream.url + "/simple")  # the same upstream, written differently
    await cache.get_page(source, "foo-bar")
    assert upstream.count(PAGE_PATH) == 3


async def test_expired_pages_are_refreshed_in_the_background(
    upstream: FakeIndex, client: UpstreamClient, upstream_settings: Settings
) -> None:
    upstream.route(PAGE_PATH, json_reply(page_doc("foo_bar-1.0.tar.gz")))
    cache = cache_with(
        client, upstream_settings, upstream_ttl_seconds=0.2, upstream_stale_seconds=30
    )
    source = source_of(upstream)
    first = await cache.get_page(source, "foo-bar")
    await asyncio.sleep(0.25)
    # The upstream is slow now: callers get the expired copy at once, not after 0.3 s.
    upstream.route(
        PAGE_PATH, json_reply(page_doc("foo_bar-1.0.tar.gz", "foo_bar-2.0.tar.gz"), delay=0.3)
    )
    served = await asyncio.gather(*(cache.get_page(source, "foo-bar") for _ in range(20)))
    assert all(result is first for result in served)
    assert cache.background[source.url] == 20
    await asyncio.sleep(0.6)
    assert upstream.count(PAGE_PATH) == 2  # one refresh for all twenty
    refreshed = await cache.get_page(source, "foo-bar")
    assert refreshed.page is not None and len(refreshed.page.files) == 2
    assert refreshed.serial > first.serial
    assert upstream.count(PAGE_PATH) == 2


async def test_pages_older_than_the_stale_window_wait_for_the_refresh(
    upstream: FakeIndex, client: UpstreamClient, upstream_settings: Settings
) -> None:
    upstream.route(PAGE_PATH, json_reply(page_doc("foo_bar-1.0.tar.gz")))
    cache = cache_with(
        client, upstream_settings, upstream_ttl_seconds=0.1, upstream_stale_seconds=0.1
    )
    source = source_of(upstream)
    first = await cache.get_page(source, "foo-bar")
    await asyncio.sleep(0.25)
    upstream.route(PAGE_PATH, json_reply(page_doc("foo_bar-1.0.tar.gz", "foo_bar-2.0.tar.gz")))
    fresh = await cache.get_page(source, "foo-bar")
    assert fresh is not first and fresh.page is not None and len(fresh.page.files) == 2
    assert cache.background[source.url] == 0


async def test_stale_page_on_error(
    upstream: FakeIndex,
    client: UpstreamClient,
    upstream_settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    upstream.route(PAGE_PATH, json_reply(page_doc("foo_bar-1.0.tar.gz")))
    cache = cache_with(client, upstream_settings, upstream_ttl_seconds=0.2)
    source = source_of(upstream, username="bot", secret=SECRET)
    good = await cache.get_page(source, "foo-bar")
    upstream.route(PAGE_PATH, Reply(500, b"oops"))
    await asyncio.sleep(0.25)
    with caplog.at_level(logging.WARNING, logger="quiver.upstreams"):
        stale = await cache.get_page(source, "foo-bar")
    assert stale.stale
    assert stale.page == good.page
    assert (stale.serial, stale.fetched_at) == (good.serial, good.fetched_at)
    assert cache.errors[source.url] == 1
    assert upstream.count(PAGE_PATH) == 3  # the page, then a 500 and its one retry
    assert "answered 500" in caplog.text
    assert SECRET not in caplog.text
    # A failing upstream is not asked again on every request: the stale copy holds a while.
    assert (await cache.get_page(source, "foo-bar")).stale
    assert upstream.count(PAGE_PATH) == 3


async def test_an_error_with_nothing_cached_raises_and_is_not_remembered(
    upstream: FakeIndex, client: UpstreamClient, upstream_settings: Settings
) -> None:
    upstream.route(PAGE_PATH, Reply(503), Reply(503), json_reply(page_doc("foo_bar-1.0.tar.gz")))
    cache = cache_with(client, upstream_settings)
    source = source_of(upstream)
    with pytest.raises(UpstreamError, match="answered 503"):
        await cache.get_page(source, "foo-bar")
    result = await cache.get_page(source, "foo-bar")
    assert result.page is not None and not result.stale
    assert cache.errors[source.url] == 1


async def test_one_retry_on_5xx(upstream: FakeIndex, client: UpstreamClient) -> None:
    upstream.route(PAGE_PATH, Reply(502), json_reply(page_doc("foo_bar-1.0.tar.gz")))
    page = await client.fetch_page(source_of(upstream), "foo-bar")
    assert page is not None
    assert upstream.count(PAGE_PATH) == 2


async def test_fifty_concurrent_misses_make_one_request(
    upstream: FakeIndex, client: UpstreamClient, upstream_settings: Settings
) -> None:
    upstream.route(PAGE_PATH, json_reply(page_doc("foo_bar-1.0.tar.gz"), delay=0.3))
    cache = cache_with(client, upstream_settings)
    source = source_of(upstream)
    results = await asyncio.gather(*(cache.get_page(source, "foo-bar") for _ in range(50)))
    assert upstream.count(PAGE_PATH) == 1
    assert all(result is results[0] for result in results)
    assert cache.fetches[source.url] == 1


async def test_a_cancelled_waiter_does_not_cancel_the_shared_fetch(
    upstream: FakeIndex, client: UpstreamClient, upstream_settings: Settings
) -> None:
    upstream.route(PAGE_PATH, json_reply(page_doc("foo_bar-1.0.tar.gz"), delay=0.3))
    cache = cache_with(client, upstream_settings)
    source = source_of(upstream)
    impatient = asyncio.create_task(cache.get_page(source, "foo-bar"))
    patient = asyncio.create_task(cache.get_page(source, "foo-bar"))
    await asyncio.sleep(0.1)
    impatient.cancel()
    result = await patient
    assert impatient.cancelled()
    assert result.page is not None
    assert upstream.count(PAGE_PATH) == 1


async def test_a_broken_upstream_does_not_block_another(
    upstream: FakeIndex, cdn: FakeIndex, client: UpstreamClient, upstream_settings: Settings
) -> None:
    broken, healthy = upstream, cdn
    broken.route(PAGE_PATH, json_reply(page_doc("foo_bar-1.0.tar.gz"), delay=10))
    healthy.route(PAGE_PATH, json_reply(page_doc("foo_bar-1.0.tar.gz")))
    cache = cache_with(client, upstream_settings)
    started = time.monotonic()
    hanging = asyncio.create_task(cache.get_page(source_of(broken), "foo-bar"))
    await asyncio.sleep(0.05)
    good = await cache.get_page(source_of(healthy), "foo-bar")
    assert good.page is not None
    # the healthy answer came while the broken request still hangs: it did not wait for it
    assert not hanging.done()
    with pytest.raises(UpstreamError, match="timed out"):
        await hanging
    # read timeout 0.5 s, and one retry
    assert time.monotonic() - started < 3
    assert broken.count(PAGE_PATH) == 2


async def test_an_unreachable_upstream_is_an_upstream_error(client: UpstreamClient) -> None:
    source = IndexSource(f"http://bot:{SECRET}@127.0.0.1:{free_port()}/simple/")
    with pytest.raises(UpstreamError, match="could not connect") as caught:
        await client.fetch_page(source, "foo-bar")
    assert SECRET not in str(caught.value) and "bot:" not in str(caught.value)


@pytest.mark.parametrize("declare_length", [False, True])
async def test_a_page_over_the_size_limit_is_refused(
    upstream: FakeIndex, client: UpstreamClient, declare_length: bool
) -> None:
    headers = {"Content-Type": "application/vnd.pypi.simple.v1+json"}
    if declare_length:
        headers["Content-Length"] = str(30 * MIB)
    upstream.route(PAGE_PATH, Reply(200, zeros(30 * MIB), headers))
    with pytest.raises(UpstreamError, match="larger than 20 MiB"):
        await client.fetch_page(source_of(upstream), "foo-bar")


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply(200, b"{not json", {"Content-Type": "application/vnd.pypi.simple.v1+json"}), "JSON"),
        (json_reply({"meta": {"api-version": "2.0"}, "name": "foo-bar", "files": []}), "API"),
        (json_reply(page_doc() | {"name": "other"}), "is for 'other'"),
        (Reply(200, b"\x00\xffgarbage", {"Content-Type": "text/html"}), "not valid utf-8"),
        (Reply(200, b"<a>", {"Content-Type": "text/html; charset=nonsense"}), "not valid"),
        (Reply(200, b"zip", {"Content-Type": "application/zip"}), "unexpected content type"),
        (Reply(200, b"zip"), "unexpected content type"),
        (Reply(429, b"slow down"), "answered 429"),
    ],
)
async def test_garbage_is_an_upstream_error(
    upstream: FakeIndex, client: UpstreamClient, reply: Reply, reason: str
) -> None:
    upstream.route(PAGE_PATH, reply)
    with pytest.raises(UpstreamError, match=reason):
        await client.fetch_page(source_of(upstream), "foo-bar")
    assert upstream.count(PAGE_PATH) == 1  # not worth a retry


async def download(client: UpstreamClient, source: IndexSource, url: str) -> bytes:
    async with client.stream_file(source, url) as chunks:
        return b"".join([chunk async for chunk in chunks])


def basic(username: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{secret}".encode()).decode()


async def test_credentials_go_to_the_upstream_host_only(
    upstream: FakeIndex, cdn: FakeIndex, client: UpstreamClient
) -> None:
    source = source_of(upstream, username="bot", secret=SECRET)
    upstream.route(
        PAGE_PATH,
        json_reply(
            {
                "meta": {"api-version": "1.0"},
                "name": "foo-bar",
                "files": [
                    {"filename": "foo_bar-1.0.tar.gz", "url": "/files/foo_bar-1.0.tar.gz"},
                    {"filename": "foo_bar-2.0.tar.gz", "url": f"{cdn.url}/foo_bar-2.0.tar.gz"},
                    {"filename": "foo_bar-3.0.tar.gz", "url": "/files/foo_bar-3.0.tar.gz"},
                ],
            }
        ),
    )
    upstream.route("/files/foo_bar-1.0.tar.gz", Reply(200, b"one"))
    cdn.route("/foo_bar-2.0.tar.gz", Reply(200, b"two"))
    upstream.route("/files/foo_bar-3.0.tar.gz", redirect_reply(f"{cdn.url}/foo_bar-3.0.tar.gz"))
    cdn.route("/foo_bar-3.0.tar.gz", Reply(200, b"three"))

    page = await client.fetch_page(source, "foo-bar")
    assert page is not None
    bodies = [await download(client, source, remote.url) for remote in page.files]
    assert bodies == [b"one", b"two", b"three"]

    expected = basic("bot", SECRET)
    assert upstream.seen(PAGE_PATH)[0].headers["authorization"] == expected
    assert upstream.seen("/files/foo_bar-1.0.tar.gz")[0].headers["authorization"] == expected
    assert upstream.seen("/files/foo_bar-3.0.tar.gz")[0].headers["authorization"] == expected
    assert cdn.requests and all("authorization" not in seen.headers for seen in cdn.requests)


async def test_credentials_embedded_in_the_url(upstream: FakeIndex, client: UpstreamClient) -> None:
    port = upstream.url.rsplit(":", 1)[1]
    source = IndexSource(f"http://bot%40corp:{SECRET}@127.0.0.1:{port}/simple")
    assert source.url == f"{upstream.url}/simple/"
    assert (source.username, source.secret) == ("bot@corp", SECRET)
    assert SECRET not in repr(source)
    upstream.route(PAGE_PATH, json_reply(page_doc()))
    assert await client.fetch_page(source, "foo-bar") is not None
    assert upstream.seen(PAGE_PATH)[0].headers["authorization"] == basic("bot@corp", SECRET)


@pytest.mark.parametrize("status", [401, 403])
async def test_refused_credentials(
    upstream: FakeIndex, client: UpstreamClient, status: int
) -> None:
    upstream.route(PAGE_PATH, Reply(status, SECRET.encode()))
    upstream.route("/files/x.tar.gz", Reply(status))
    source = source_of(upstream, username="bot", secret=SECRET)
    with pytest.raises(UpstreamError, match="refused our credentials") as caught:
        await client.fetch_page(source, "foo-bar")
    assert SECRET not in str(caught.value) and SECRET not in repr(caught.value)
    with pytest.raises(UpstreamError, match="refused our credentials"):
        await download(client, source, f"{upstream.url}/files/x.tar.gz")
    with pytest.raises(UpstreamError, match="requires credentials"):
        await client.fetch_page(source_of(upstream), "foo-bar")


async def test_stream_file_errors(upstream: FakeIndex, client: UpstreamClient) -> None:
    source = source_of(upstream, username="bot", secret=SECRET)
    upstream.route("/big.whl", Reply(200, zeros(2 * MIB)))
    upstream.route("/declared.whl", Reply(200, zeros(2 * MIB), {"Content-Length": str(2 * MIB)}))
    upstream.route("/flaky.whl", Reply(500), Reply(200, b"ok"))
    upstream.route("/down.whl", Reply(500))
    # max_upload_bytes is 1 MiB in these settings
    with pytest.raises(UpstreamError, match="larger than 1 MiB"):
        await download(client, source, f"{upstream.url}/big.whl")
    with pytest.raises(UpstreamError, match="larger than 1 MiB"):
        await download(client, source, f"{upstream.url}/declared.whl")
    assert await download(client, source, f"{upstream.url}/flaky.whl") == b"ok"
    with pytest.raises(UpstreamError, match="answered 500"):
        await download(client, source, f"{upstream.url}/down.whl")
    with pytest.raises(UpstreamError, match="no longer has") as gone:
        await download(client, source, f"{upstream.url}/gone.whl?sig={SECRET}")
    assert SECRET not in str(gone.value)
    with pytest.raises(UpstreamError, match="not http"):
        await download(client, source, "file:///etc/passwd")
    dead = f"http://bot:{SECRET}@127.0.0.1:{free_port()}/x.whl"
    with pytest.raises(UpstreamError, match="could not connect") as caught:
        await download(client, source, dead)
    assert SECRET not in str(caught.value)


async def test_slow_file_reads_time_out(upstream: FakeIndex, client: UpstreamClient) -> None:
    def dribble() -> Iterator[bytes]:
        yield b"a"
        time.sleep(2)
        yield b"b"

    upstream.route("/slow.whl", Reply(200, dribble))
    with pytest.raises(UpstreamError, match="timed out"):
        await download(client, source_of(upstream), f"{upstream.url}/slow.whl")


async def test_odd_urls_are_upstream_errors(upstream: FakeIndex, client: UpstreamClient) -> None:
    upstream.route(PAGE_PATH, redirect_reply("ftp://elsewhere/foo-bar/"))
    with pytest.raises(UpstreamError, match="non-HTTP"):
        await client.fetch_page(source_of(upstream), "foo-bar")
    upstream.route(PAGE_PATH, redirect_reply("http://[::1/"))
    with pytest.raises(UpstreamError, match="request failed"):
        await client.fetch_page(source_of(upstream), "foo-bar")
    with pytest.raises(UpstreamError, match="not http"):
        await download(client, source_of(upstream), "http://127.0.0.1:99999/x.whl")


async def test_the_cache_is_bounded_and_can_be_emptied(
    upstream: FakeIndex, cdn: FakeIndex, client: UpstreamClient, upstream_settings: Settings
) -> None:
    for name in ("a", "b", "c"):
        upstream.route(f"/simple/{name}/", Reply(404))
    cdn.route("/simple/a/", Reply(404))
    cache = UpstreamCache(client, upstream_settings, max_entries=2)
    for name in ("a", "b", "c"):
        await cache.get_page(source_of(upstream), name)
    assert len(cache) == 2
    await cache.get_page(source_of(upstream), "a")  # evicted first, so fetched again
    assert upstream.count("/simple/a/") == 2
    await cache.get_page(source_of(cdn), "a")
    cache.invalidate(source_of(cdn).url)
    assert len(cache) == 1
    cache.invalidate()
    assert len(cache) == 0
    # different credentials for one upstream are different entries
    await cache.get_page(source_of(upstream, username="x", secret="1"), "a")
    await cache.get_page(source_of(upstream, username="x", secret="2"), "a")
    assert upstream.count("/simple/a/") == 4


async def test_aclose_cancels_fetches_in_flight(
    upstream: FakeIndex, client: UpstreamClient, upstream_settings: Settings
) -> None:
    upstream.route(PAGE_PATH, json_reply(page_doc(), delay=0.4))
    cache = cache_with(client, upstream_settings)
    waiter = asyncio.create_task(cache.get_page(source_of(upstream), "foo-bar"))
    await asyncio.sleep(0.05)
    await cache.aclose()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert len(cache) == 0
