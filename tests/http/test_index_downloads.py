"""Download counts: counted in memory on the request path, written by the flush, shown in REST."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from quiver.db.base import utcnow
from quiver.services.changes.models import FeedEvent
from quiver.services.feeds.models import Feed
from quiver.services.index.service import flush_downloads
from quiver.services.packages.models import File
from tests.http.publishing import context_of
from tests.http.rest_support import ok
from tests.http.simple_support import FEED, Published, publish_foo_bar, simple

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)
VERSIONS = "/acme/_apis/packaging/feeds/libs/packages/foo-bar/versions"


async def counts(api: httpx.AsyncClient) -> dict[str, tuple[int, datetime | None]]:
    """Each file's (download_count, last_download_at) as the database holds them."""
    async with context_of(api).sessions() as session:
        rows = await session.execute(
            select(File.filename, File.download_count, File.last_download_at)
        )
        return {name: (count, last) for name, count, last in rows}


async def feed_state(api: httpx.AsyncClient) -> tuple[int, int]:
    """The feed's serial and how many events it has."""
    async with context_of(api).sessions() as session:
        serial = await session.scalar(select(Feed.serial))
        events = await session.scalar(select(func.count()).select_from(FeedEvent))
    assert serial is not None and events is not None
    return serial, events


async def download(api: httpx.AsyncClient, path: Path, **headers: str) -> httpx.Response:
    return await api.get(simple(FEED, f"foo-bar/{path.name}"), headers=headers)


async def test_downloads_are_counted_after_the_flush_only(
    api: httpx.AsyncClient, tmp_path: Path
) -> None:
    dists = await publish_foo_bar(api, tmp_path)
    before = await feed_state(api)
    started = utcnow()
    for _ in range(2):
        response = await download(api, dists.wheel)
        assert response.status_code == 200
        assert response.content == dists.wheel.read_bytes()
    assert (await download(api, dists.sdist)).status_code == 200

    # Nothing is written on the request path: the rows are as they were.
    assert await counts(api) == {dists.wheel.name: (0, None), dists.sdist.name: (0, None)}

    assert await flush_downloads(context_of(api).sessions, context_of(api).downloads) == 2
    found = await counts(api)
    assert found[dists.wheel.name][0] == 2
    assert found[dists.sdist.name][0] == 1
    for _count, last in found.values():
        assert last is not None and started <= last <= utcnow()
    # Counting is not a change of the feed: no serial bump, no event.
    assert await feed_state(api) == before
    assert await flush_downloads(context_of(api).sessions, context_of(api).downloads) == 0


async def test_head_metadata_ranges_and_revalidations_are_not_counted(
    api: httpx.AsyncClient, tmp_path: Path
) -> None:
    dists = await publish_foo_bar(api, tmp_path)
    url = simple(FEED, f"foo-bar/{dists.wheel.name}")
    assert (await api.head(url)).status_code == 200
    assert (await api.get(url + ".metadata")).status_code == 200
    assert (await api.head(url + ".metadata")).status_code == 200
    assert (await api.get(url, headers={"Range": "bytes=0-9"})).status_code == 206
    etag = (await api.head(url)).headers["ETag"]
    assert (await api.get(url, headers={"If-None-Match": etag})).status_code == 304
    assert (await api.get(simple(FEED, "foo-bar/missing-1.0.tar.gz"))).status_code == 404
    await flush_downloads(context_of(api).sessions, context_of(api).downloads)
    assert await counts(api) == {dists.wheel.name: (0, None), dists.sdist.name: (0, None)}


async def test_flushes_add_up_and_the_last_time_only_moves_forward(
    api: httpx.AsyncClient, tmp_path: Path
) -> None:
    dists = await publish_foo_bar(api, tmp_path)
    ctx = context_of(api)
    assert (await download(api, dists.wheel)).status_code == 200
    await flush_downloads(ctx.sessions, ctx.downloads)
    first = (await counts(api))[dists.wheel.name]
    # Another process's flush with an older time adds its count but keeps the later time.
    feed = await feed_id(api)
    ctx.downloads.record(feed, dists.wheel.name, at=LONG_AGO)
    ctx.downloads.record(feed, dists.wheel.name, at=LONG_AGO)
    await flush_downloads(ctx.sessions, ctx.downloads)
    assert (await counts(api))[dists.wheel.name] == (3, first[1])
    # A count for a file the feed no longer has is dropped quietly.
    ctx.downloads.record(feed, "gone-1.0.tar.gz")
    assert await flush_downloads(ctx.sessions, ctx.downloads) == 1
    assert len(ctx.downloads) == 0


async def test_rest_shows_counts_per_file_and_per_version(
    api: httpx.AsyncClient, tmp_path: Path
) -> None:
    dists: Published = await publish_foo_bar(api, tmp_path)
    listing = await ok(api.get(VERSIONS))
    (version,) = listing["versions"]
    assert version["download_count"] == 0
    assert version["last_download_at"] is None
    assert {f["download_count"] for f in version["files"]} == {0}

    for path in (dists.wheel, dists.wheel, dists.wheel, dists.sdist):
        assert (await download(api, path)).status_code == 200
    await flush_downloads(context_of(api).sessions, context_of(api).downloads)
    (version,) = (await ok(api.get(VERSIONS)))["versions"]
    files: dict[str, Any] = {f["filename"]: f for f in version["files"]}
    assert files[dists.wheel.name]["download_count"] == 3
    assert files[dists.sdist.name]["download_count"] == 1
    assert version["download_count"] == 4
    lasts = [files[name]["last_download_at"] for name in files]
    assert version["last_download_at"] == max(lasts)


async def test_downloads_through_a_view_count_for_the_feed(
    api: httpx.AsyncClient, tmp_path: Path
) -> None:
    dists = await publish_foo_bar(api, tmp_path)
    await ok(api.post(VERSIONS + "/1.0/promote", json={"view": "release"}))
    response = await api.get(simple("acme/libs@release", f"foo-bar/{dists.sdist.name}"))
    assert response.status_code == 200
    await flush_downloads(context_of(api).sessions, context_of(api).downloads)
    assert (await counts(api))[dists.sdist.name][0] == 1


async def feed_id(api: httpx.AsyncClient) -> int:
    async with context_of(api).sessions() as session:
        found = await session.scalar(select(Feed.id))
    assert found is not None
    return int(found)
