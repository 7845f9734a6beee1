"""Deleting versions to a feed's recycle bin, restoring and purging them (REST, index pages).

In-process on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from quiver.api.negotiation import JSON_V1
from quiver.db.base import utcnow
from quiver.services.changes.models import FeedEvent
from quiver.services.packages.models import File
from quiver.services.recycle.service import purge_expired_versions
from tests.http.publishing import context_of, make_feed, upload
from tests.http.rest_support import as_new_user, assert_error, ok
from tests.http.simple_support import FEED, PLAIN, Anchors, publish, simple
from tests.support.dists import build_sdist, build_wheel

FEEDS = "/acme/_apis/packaging/feeds"
VERSIONS = FEEDS + "/libs/packages/foo-bar/versions"
BIN = FEEDS + "/libs/recycle-bin"
JSON = {"Accept": JSON_V1}


@pytest.fixture
async def dists(api: httpx.AsyncClient, tmp_path: Path) -> dict[str, Path]:
    """``acme/libs`` with Foo.Bar 1.0 (wheel) and 2.0 (wheel and sdist); 2.0 is yanked
    with a reason and promoted to ``release``."""
    await make_feed(api, FEED)
    found = {
        "1.0": build_wheel(tmp_path, "Foo.Bar", "1.0"),
        "2.0": build_wheel(tmp_path, "Foo.Bar", "2.0"),
        "2.0-sdist": build_sdist(tmp_path, "Foo.Bar", "2.0"),
    }
    await publish(api, FEED, *found.values())
    await ok(api.post(VERSIONS + "/2.0/yank", json={"reason": "slow"}))
    await ok(api.post(VERSIONS + "/2.0/promote", json={"view": "release"}))
    return found


async def json_page(client: httpx.AsyncClient, feed: str = "libs") -> dict[str, Any] | None:
    """The JSON package page of foo-bar, or None when it is 404."""
    page = await client.get(f"/acme/_packaging/{feed}/pypi/simple/foo-bar/", headers=JSON)
    if page.status_code == 404:
        return None
    assert page.status_code == 200, page.text
    found: dict[str, Any] = page.json()
    return found


async def html_files(client: httpx.AsyncClient) -> set[str]:
    page = await client.get(simple(FEED, "foo-bar/"), headers=PLAIN)
    assert page.status_code == 200, page.text
    return set(Anchors(page.text).anchors)


async def projects(client: httpx.AsyncClient, feed: str = "libs") -> list[str]:
    page = await client.get(f"/acme/_packaging/{feed}/pypi/simple/", headers=JSON)
    assert page.status_code == 200, page.text
    return [p["name"] for p in page.json()["projects"]]


async def download(client: httpx.AsyncClient, filename: str, feed: str = "libs") -> httpx.Response:
    return await client.get(f"/acme/_packaging/{feed}/pypi/simple/foo-bar/{filename}")


async def events(api: httpx.AsyncClient, kind: str) -> list[FeedEvent]:
    async with context_of(api).sessions() as session:
        rows = await session.scalars(
            select(FeedEvent).where(FeedEvent.kind == kind).order_by(FeedEvent.seq)
        )
        return list(rows)


async def test_delete_takes_the_version_out_of_every_index(
    api: httpx.AsyncClient, dists: dict[str, Path]
) -> None:
    wheel, sdist = dists["2.0"].name, dists["2.0-sdist"].name
    entry = await ok(api.delete(VERSIONS + "/2.0", params={"reason": "leaks  secrets"}))
    assert (entry["feed"], entry["package"], entry["version"]) == ("acme/libs", "Foo.Bar", "2.0")
    assert entry["deleted_by"] == "admin"
    assert sorted(entry["files"]) == sorted([wheel, sdist])
    deleted = _time(entry["deleted_at"])
    assert _time(entry["purge_after"]) - deleted == timedelta(days=30)

    page = await json_page(api)
    assert page is not None
    assert page["versions"] == ["1.0"]
    assert [f["filename"] for f in page["files"]] == [dists["1.0"].name]
    assert await html_files(api) == {dists["1.0"].name}
    # Through the view (only 2.0 was promoted): gone from the list and the page.
    assert await projects(api, "libs@release") == []
    assert await json_page(api, "libs@release") is None
    for name in (wheel, wheel + ".metadata", sdist):
        assert (await download(api, name)).status_code == 404, name
        assert (await download(api, name, "libs@release")).status_code == 404, name
    listed = await ok(api.get(VERSIONS))
    assert [v["version"] for v in listed["versions"]] == ["1.0"]
    packages = await ok(api.get(FEEDS + "/libs/packages"))
    assert [(p["name"], p["versions"], p["files"]) for p in packages] == [("Foo.Bar", 1, 1)]
    views = {v["name"]: v["versions"] for v in await ok(api.get(FEEDS + "/libs/views"))}
    assert (views["local"], views["release"]) == (1, 0)

    # The bin lists it; nothing else may change it while it is there.
    assert [(e["package"], e["version"]) for e in await ok(api.get(BIN))] == [("Foo.Bar", "2.0")]
    assert_error(await api.delete(VERSIONS + "/2"), 409, "already")
    for action, body in (("yank", {}), ("unyank", {}), ("promote", {"view": "prerelease"})):
        response = await api.post(f"{VERSIONS}/2.0/{action}", json=body)
        assert_error(response, 409, "is in the recycle bin of feed acme/libs")
    assert_error(await api.post(VERSIONS + "/2.0/demote", json={"view": "release"}), 409, "bin")
    assert_error(await api.delete(VERSIONS + "/3.0"), 404, "Version 3.0 of Foo.Bar")
    assert_error(await api.delete(FEEDS + "/libs/packages/nope/versions/1.0"), 404, "nope")

    deletions = await events(api, "delete")
    assert [(e.package, e.version, e.actor, e.detail) for e in deletions] == [
        ("Foo.Bar", "2.0", "admin", {"reason": "leaks secrets"})
    ]


async def test_restore_brings_the_version_back_unchanged(
    api: httpx.AsyncClient, dists: dict[str, Path]
) -> None:
    before = await json_page(api)
    listed_before = await ok(api.get(VERSIONS))
    wheel = dists["2.0"].name
    await ok(api.delete(VERSIONS + "/2.0"))
    assert_error(await api.post(BIN + "/foo-bar/1.0/restore"), 404, "not in the recycle bin")

    entry = await ok(api.post(BIN + "/FOO_bar/2.00/restore"))
    assert (entry["package"], entry["version"]) == ("Foo.Bar", "2.0")
    assert await ok(api.get(BIN)) == []
    # Same files, hashes, yank state and views.
    assert await json_page(api) == before
    assert await ok(api.get(VERSIONS)) == listed_before
    got = await download(api, wheel)
    assert got.status_code == 200
    assert got.content == dists["2.0"].read_bytes()
    release = await json_page(api, "libs@release")
    assert release is not None
    assert release["versions"] == ["2.0"]
    assert {f["filename"]: f["yanked"] for f in release["files"]}[wheel] == "slow"
    assert_error(await api.post(BIN + "/foo-bar/2.0/restore"), 404, "not in the recycle bin")

    restores = await events(api, "restore")
    assert [(e.version, e.actor, sorted(e.detail["files"])) for e in restores if e.detail] == [
        ("2.0", "admin", sorted([wheel, dists["2.0-sdist"].name]))
    ]


async def test_a_package_with_every_version_deleted_leaves_the_project_list(
    api: httpx.AsyncClient, dists: dict[str, Path]
) -> None:
    await ok(api.delete(VERSIONS + "/1.0"))
    await ok(api.delete(VERSIONS + "/2.0"))
    assert await projects(api) == []
    assert await json_page(api) is None
    assert_error(await api.get(VERSIONS), 404, "foo-bar is not in feed")
    assert await ok(api.get(FEEDS + "/libs/packages")) == []
    await ok(api.post(BIN + "/foo-bar/1.0/restore"))
    assert await projects(api) == ["Foo.Bar"]


async def test_purge_removes_rows_and_unshared_blobs(
    api: httpx.AsyncClient, dists: dict[str, Path]
) -> None:
    ctx = context_of(api)
    # acme/other holds the very same 2.0 wheel: its blobs are shared.
    await make_feed(api, "acme/other")
    await publish(api, "acme/other", dists["2.0"])
    async with ctx.sessions() as session:
        rows = list(await session.scalars(select(File).where(File.filename.like("%2.0%"))))
    wheel = next(r for r in rows if r.filename.endswith(".whl"))
    sdist = next(r for r in rows if r.filename.endswith(".tar.gz"))
    assert wheel.metadata_blob_key is not None

    assert_error(
        await api.delete(BIN + "/foo-bar/2.0"), 409, "not in the recycle bin", "delete it first"
    )
    await ok(api.delete(VERSIONS + "/2.0"))
    entry = await ok(api.delete(BIN + "/foo-bar/2.0"))
    assert sorted(entry["files"]) == sorted([wheel.filename, sdist.filename])
    assert await ok(api.get(BIN)) == []
    assert not await ctx.blobs.exists(sdist.blob_key)
    # Shared with acme/other: kept, and still served there.
    assert await ctx.blobs.exists(wheel.blob_key)
    assert await ctx.blobs.exists(wheel.metadata_blob_key)
    got = await download(api, wheel.filename, "other")
    assert got.content == dists["2.0"].read_bytes()
    # In acme/libs the version is gone for good: nothing to restore.
    assert_error(await api.post(BIN + "/foo-bar/2.0/restore"), 404, "not in the recycle bin")
    assert [v["version"] for v in (await ok(api.get(VERSIONS)))["versions"]] == ["1.0"]
    purges = await events(api, "purge")
    assert [(e.version, e.actor, sorted(e.detail["files"])) for e in purges if e.detail] == [
        ("2.0", "admin", sorted([wheel.filename, sdist.filename]))
    ]

    # Purging the other feed's copy takes the last user of the wheel's blobs.
    await ok(api.delete(FEEDS + "/other/packages/foo-bar/versions/2.0"))
    await ok(api.delete(FEEDS + "/other/recycle-bin/foo-bar/2.0"))
    assert not await ctx.blobs.exists(wheel.blob_key)
    assert not await ctx.blobs.exists(wheel.metadata_blob_key)


async def test_publishing_into_the_bin_is_refused(
    api: httpx.AsyncClient, dists: dict[str, Path], tmp_path: Path
) -> None:
    await ok(api.delete(VERSIONS + "/2.0"))
    # The same file: its version is in the bin.
    again = await upload(api, FEED, dists["2.0"])
    message = assert_error(again, 409, "is in the recycle bin of feed acme/libs")
    assert "can never be reused" in message
    assert "Restore that version or publish a new version." in message
    # No command in the server's sentence: the CLI adds its own hint.
    assert "quiver" not in message
    # A new file of that version.
    other = build_wheel(tmp_path / "new", "Foo.Bar", "2.0", tag="py311-none-any")
    refused = await upload(api, FEED, other)
    message = assert_error(refused, 409)
    assert message == (
        "Version 2.0 of Foo.Bar is in the recycle bin of feed acme/libs: restore it "
        "or publish a new version."
    )
    assert refused.json()["code"] == "version_in_bin"
    # Once purged, the filename is still never reused.
    await ok(api.delete(BIN + "/foo-bar/2.0"))
    message = assert_error(await upload(api, FEED, dists["2.0"]), 409)
    assert "was published to feed acme/libs before and deleted" in message
    assert "can never be reused" in message
    # A new version publishes as usual.
    response = await upload(api, FEED, build_wheel(tmp_path / "new", "Foo.Bar", "3.0"))
    assert response.status_code == 200, response.text


async def test_only_owners_use_the_bin(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, dists: dict[str, Path]
) -> None:
    async def with_role(name: str, role: str | None, scope: str) -> httpx.AsyncClient:
        client = await as_new_user(api, name, scope=scope)
        if role is not None:
            await ok(api.put(f"{FEEDS}/libs/permissions/{name}", json={"role": role}))
        return client

    calls = [
        ("DELETE", VERSIONS + "/2.0"),
        ("GET", BIN),
        ("POST", BIN + "/foo-bar/1.0/restore"),
        ("DELETE", BIN + "/foo-bar/1.0"),
    ]
    async with (
        await with_role("carol", "contributor", "packaging:write") as contributor,
        await with_role("rita", "reader", "packaging:read") as reader,
        await with_role("olga", "owner", "packaging:write") as write_token_owner,
        await with_role("nora", None, "packaging:manage") as outsider,
    ):
        for method, url in calls:
            assert_error(await contributor.request(method, url), 403, "owner role")
            assert_error(await reader.request(method, url), 403, "owner role")
            assert_error(await write_token_owner.request(method, url), 403, "acts at most")
            assert_error(await outsider.request(method, url), 404, "does not exist")
            assert_error(await anon.request(method, url), 401)
    assert await ok(api.get(BIN)) == []
    async with await with_role("owen", "owner", "packaging:manage") as owner:
        await ok(owner.delete(VERSIONS + "/2.0"))
        assert [e["deleted_by"] for e in await ok(owner.get(BIN))] == ["owen"]


async def test_expired_versions_are_purged(api: httpx.AsyncClient, dists: dict[str, Path]) -> None:
    ctx = context_of(api)
    await ok(api.delete(VERSIONS + "/2.0"))
    assert await purge_expired_versions(ctx, utcnow() + timedelta(days=29)) == 0
    assert len(await ok(api.get(BIN))) == 1
    assert await purge_expired_versions(ctx, utcnow() + timedelta(days=31)) == 1
    assert await ok(api.get(BIN)) == []
    assert [v["version"] for v in (await ok(api.get(VERSIONS)))["versions"]] == ["1.0"]
    assert [(e.version, e.actor, e.actor_id) for e in await events(api, "purge")] == [
        ("2.0", "quiver", None)
    ]
    assert await purge_expired_versions(ctx, utcnow() + timedelta(days=31)) == 0


@pytest.fixture
async def apps(api: httpx.AsyncClient, dists: dict[str, Path]) -> str:
    """``acme/apps`` reading ``acme/libs`` as its upstream source, 1.0 saved into it."""
    source = {"name": "libs", "feed": "acme/libs"}
    await ok(api.post(FEEDS, json={"name": "apps", "upstreams": [source]}), 201)
    assert (await download(api, dists["1.0"].name, "apps")).status_code == 200
    return "apps"


async def test_a_deleted_version_does_not_come_back_from_an_upstream(
    api: httpx.AsyncClient, dists: dict[str, Path], apps: str
) -> None:
    apps_versions = FEEDS + "/apps/packages/foo-bar/versions"
    # The saved 1.0, deleted in acme/apps: acme/libs still has it, yet it stays out.
    await ok(api.delete(apps_versions + "/1.0"))
    page = await json_page(api, apps)
    assert page is not None
    assert page["versions"] == ["2.0"]
    assert (await download(api, dists["1.0"].name, apps)).status_code == 404
    assert_error(await api.get(apps_versions), 404, "foo-bar is not in feed")
    # Deleting 2.0 in acme/libs takes it off acme/apps too: nothing is left.
    await ok(api.delete(VERSIONS + "/2.0"))
    assert await json_page(api, apps) is None
    assert (await download(api, dists["2.0"].name, apps)).status_code == 404
    # Restored: the saved copy is back, and 2.0 from the upstream again.
    await ok(api.post(FEEDS + "/apps/recycle-bin/foo-bar/1.0/restore"))
    await ok(api.post(BIN + "/foo-bar/2.0/restore"))
    page = await json_page(api, apps)
    assert page is not None
    assert page["versions"] == ["1.0", "2.0"]
    listed = await ok(api.get(apps_versions))
    assert [(v["version"], v["files"][0]["origin"]) for v in listed["versions"]] == [
        ("1.0", "upstream")
    ]


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
