"""Upstream sources on the read path, against scripted upstream indexes on loopback.

The upstream is outside our control, so a real HTTP server (``FakeIndex``) plays
it; Quiver runs in-process on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from quiver.services.packages.models import File
from quiver.settings import Settings
from tests.conftest import ADMIN_TOKEN
from tests.http.publishing import context_of
from tests.support.dists import build_wheel, metadata_text
from tests.support.fake_index import FakeIndex, Reply, json_reply

SIMPLE = "/acme/_packaging/libs/pypi/simple"
JSON = {"Accept": "application/vnd.pypi.simple.v1+json"}


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        admin_token=ADMIN_TOKEN,
        upstream_ttl_seconds=60,
        upstream_negative_ttl_seconds=60,
        upstream_connect_timeout=1.0,
        upstream_read_timeout=1.0,
    )


@pytest.fixture
def upstream() -> Iterator[FakeIndex]:
    with FakeIndex() as index:
        yield index


@pytest.fixture
def second() -> Iterator[FakeIndex]:
    with FakeIndex() as index:
        yield index


def page(index: FakeIndex, name: str, wheel: Path, *, sha256: str | None = None) -> dict[str, Any]:
    """A PEP 691 page offering ``wheel`` from ``index`` (with its METADATA file)."""
    data = wheel.read_bytes()
    url = f"{index.url}/files/{wheel.name}"
    index.route(f"/files/{wheel.name}", Reply(body=data))
    metadata = metadata_text(name, wheel.name.split("-")[1]).encode()
    index.route(f"/files/{wheel.name}.metadata", Reply(body=metadata))
    return {
        "meta": {"api-version": "1.1"},
        "name": name,
        "files": [
            {
                "filename": wheel.name,
                "url": url,
                "hashes": {"sha256": sha256 or hashlib.sha256(data).hexdigest()},
                "size": len(data),
                "core-metadata": {"sha256": hashlib.sha256(metadata).hexdigest()},
            }
        ],
    }


async def make_feed(api: httpx.AsyncClient, *urls: str) -> None:
    assert (await api.post("/_apis/organizations", json={"name": "acme"})).status_code == 201
    upstreams = [{"name": f"up{n}", "url": url} for n, url in enumerate(urls)]
    created = await api.post(
        "/acme/_apis/packaging/feeds", json={"name": "libs", "upstreams": upstreams}
    )
    assert created.status_code == 201, created.text


async def saved_files(api: httpx.AsyncClient) -> int:
    ctx = context_of(api)
    async with ctx.sessions() as session:
        return await session.scalar(select(func.count()).select_from(File)) or 0


async def test_fifty_concurrent_misses_make_one_upstream_request(
    api: httpx.AsyncClient, upstream: FakeIndex, tmp_path: Path
) -> None:
    wheel = build_wheel(tmp_path, "pkg", "1.0")
    doc = page(upstream, "pkg", wheel)
    upstream.route("/simple/pkg/", json_reply(doc, delay=0.3))
    await make_feed(api, upstream.url + "/simple/")
    responses = await asyncio.gather(*(api.get(f"{SIMPLE}/pkg/") for _ in range(50)))
    assert {r.status_code for r in responses} == {200}
    assert all(wheel.name in r.text for r in responses)
    assert upstream.count("/simple/pkg/") == 1
    assert (
        "application/vnd.pypi.simple.v1+json" in upstream.seen("/simple/pkg/")[0].headers["accept"]
    )


async def test_download_saves_and_then_serves_the_saved_copy(
    api: httpx.AsyncClient, upstream: FakeIndex, tmp_path: Path
) -> None:
    wheel = build_wheel(tmp_path, "pkg", "1.0")
    upstream.route("/simple/pkg/", json_reply(page(upstream, "pkg", wheel)))
    await make_feed(api, upstream.url + "/simple/")
    listing = (await api.get(f"{SIMPLE}/pkg/", headers=JSON)).json()
    assert listing["tracks"] == [upstream.url + "/simple/pkg/"]
    metadata = await api.get(f"{SIMPLE}/pkg/{wheel.name}.metadata")
    assert metadata.status_code == 200
    assert b"Name: pkg" in metadata.content
    got = await api.get(f"{SIMPLE}/pkg/{wheel.name}")
    assert got.status_code == 200
    assert got.content == wheel.read_bytes()
    assert await saved_files(api) == 1
    versions = await api.get("/acme/_apis/packaging/feeds/libs/packages/pkg/versions")
    assert "up0" in versions.text
    # The saved copy is served from the feed itself, even when the upstream is gone.
    upstream.close()
    again = await api.get(f"{SIMPLE}/pkg/{wheel.name}")
    assert again.status_code == 200
    assert again.content == wheel.read_bytes()
    assert upstream.count(f"/files/{wheel.name}") == 1


async def test_a_corrupted_upstream_file_is_not_saved(
    api: httpx.AsyncClient, upstream: FakeIndex, tmp_path: Path
) -> None:
    wheel = build_wheel(tmp_path, "pkg", "1.0")
    doc = page(upstream, "pkg", wheel, sha256="0" * 64)
    upstream.route("/simple/pkg/", json_reply(doc))
    await make_feed(api, upstream.url + "/simple/")
    got = await api.get(f"{SIMPLE}/pkg/{wheel.name}")
    # The bytes went to the caller (whose installer checks the hash), but nothing is kept.
    assert got.content == wheel.read_bytes()
    assert await saved_files(api) == 0
    settings = context_of(api).settings
    assert not [p for p in settings.data_dir.rglob("*") if p.is_file() and "blobs" in p.parts]
    assert not [p for p in settings.tmp_dir.rglob("*") if p.is_file()]


async def test_a_broken_upstream_does_not_block_the_next(
    api: httpx.AsyncClient, upstream: FakeIndex, second: FakeIndex, tmp_path: Path
) -> None:
    upstream.route(
        "/simple/pkg/",
        Reply(body=b"{not json", headers={"Content-Type": "application/vnd.pypi.simple.v1+json"}),
    )
    wheel = build_wheel(tmp_path, "pkg", "1.0")
    second.route("/simple/pkg/", json_reply(page(second, "pkg", wheel)))
    await make_feed(api, upstream.url + "/simple/", second.url + "/simple/")
    response = await api.get(f"{SIMPLE}/pkg/")
    assert response.status_code == 200
    assert wheel.name in response.text
    slow = build_wheel(tmp_path / "slow", "slow", "1.0")
    upstream.route("/simple/slow/", Reply(body=b"late", delay=3))
    second.route("/simple/slow/", json_reply(page(second, "slow", slow)))
    response = await api.get(f"{SIMPLE}/slow/")
    assert response.status_code == 200
    assert slow.name in response.text


async def test_published_names_hide_upstream_versions_until_allowed(
    api: httpx.AsyncClient, upstream: FakeIndex, tmp_path: Path
) -> None:
    ours = build_wheel(tmp_path / "ours", "pkg", "1.0")
    theirs = build_wheel(tmp_path / "theirs", "pkg", "9.0")
    upstream.route("/simple/pkg/", json_reply(page(upstream, "pkg", theirs)))
    await make_feed(api, upstream.url + "/simple/")
    published = await api.post(
        "/acme/_packaging/libs/pypi/upload/",
        data={":action": "file_upload"},
        files={"content": (ours.name, ours.read_bytes())},
    )
    assert published.status_code == 200, published.text
    shown = (await api.get(f"{SIMPLE}/pkg/", headers=JSON)).json()
    assert shown["versions"] == ["1.0"]
    hidden = await api.get(f"{SIMPLE}/pkg/{theirs.name}")
    assert hidden.status_code == 404
    allowed = await api.put(
        "/acme/_apis/packaging/feeds/libs/packages/pkg/upstreaming",
        json={"behavior": "allow-external-versions"},
    )
    assert allowed.status_code == 200, allowed.text
    shown = (await api.get(f"{SIMPLE}/pkg/", headers=JSON)).json()
    assert shown["versions"] == ["1.0", "9.0"]
    assert shown["alternate-locations"] == [upstream.url + "/simple/pkg/"]


async def test_page_follows_the_upstream_after_its_ttl(
    api: httpx.AsyncClient, upstream: FakeIndex, tmp_path: Path
) -> None:
    first = build_wheel(tmp_path, "pkg", "1.0")
    upstream.route("/simple/pkg/", json_reply(page(upstream, "pkg", first)))
    await make_feed(api, upstream.url + "/simple/")
    before = await api.get(f"{SIMPLE}/pkg/")
    newer = build_wheel(tmp_path, "pkg", "2.0")
    doc = page(upstream, "pkg", first)
    doc["files"] += page(upstream, "pkg", newer)["files"]
    upstream.route("/simple/pkg/", json_reply(doc))
    cache = context_of(api).upstreams
    assert cache is not None
    cache.invalidate()  # as if the TTL had passed
    after = await api.get(f"{SIMPLE}/pkg/")
    assert newer.name not in before.text
    assert newer.name in after.text
    assert before.headers["etag"] != after.headers["etag"]


async def test_tracks_stays_once_every_upstream_file_is_saved(
    api: httpx.AsyncClient, upstream: FakeIndex, tmp_path: Path
) -> None:
    wheel = build_wheel(tmp_path, "pkg", "1.0")
    upstream.route("/simple/pkg/", json_reply(page(upstream, "pkg", wheel)))
    await make_feed(api, upstream.url + "/simple/")
    assert (await api.get(f"{SIMPLE}/pkg/{wheel.name}")).status_code == 200
    assert await saved_files(api) == 1
    listing = (await api.get(f"{SIMPLE}/pkg/", headers=JSON)).json()
    assert listing["tracks"] == [upstream.url + "/simple/pkg/"]
    assert [f["filename"] for f in listing["files"]] == [wheel.name]
