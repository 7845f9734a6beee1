"""The change feed and the audit log: paging with continuation tokens, roles, polling.

In-process on SQLite and PostgreSQL; the concurrency test on PostgreSQL only.
"""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import httpx
import pytest

from quiver.settings import Settings
from tests.http.publishing import upload
from tests.http.rest_support import (
    as_new_user,
    assert_error,
    client_with,
    create_feed,
    create_org,
    create_token,
    ok,
)
from tests.support.dists import build_sdist, build_wheel

FEEDS = "/acme/_apis/packaging/feeds"
CHANGES = FEEDS + "/libs/changes"
AUDIT = FEEDS + "/libs/audit"
Change = tuple[str, str | None, str | None, str | None]


def version_url(name: str, version: str, action: str = "") -> str:
    return f"{FEEDS}/libs/packages/{name}/versions/{version}" + (f"/{action}" if action else "")


async def publish(api: httpx.AsyncClient, *paths: Path) -> None:
    for path in paths:
        response = await upload(api, "acme/libs", path)
        assert response.status_code == 200, response.text


async def page(
    client: httpx.AsyncClient, url: str, token: str | None = None, **params: Any
) -> dict[str, Any]:
    query = {key: value for key, value in params.items() if value is not None}
    if token is not None:
        query["continuationToken"] = token
    body: dict[str, Any] = await ok(client.get(url, params=query))
    return body


async def read_all(
    client: httpx.AsyncClient, url: str, token: str | None = None, batch: int = 2, **params: Any
) -> tuple[list[dict[str, Any]], str, int]:
    """Every entry after ``token``, page by page: (entries, last token, pages read)."""
    key = "changes" if url.endswith("/changes") else "entries"
    entries: list[dict[str, Any]] = []
    pages = 0
    while True:
        found = await page(client, url, token, batchSize=batch, **params)
        pages += 1
        assert len(found[key]) <= batch
        entries += found[key]
        token = found["continuationToken"]
        assert token
        if not found["has_more"]:
            return entries, token, pages


def summary(entries: list[dict[str, Any]]) -> list[Change]:
    return [(e["kind"], e["package"], e["version"], e["view"]) for e in entries]


@pytest.fixture
async def feed(api: httpx.AsyncClient) -> str:
    await create_org(api)
    await create_feed(api, "acme/libs")
    return "acme/libs"


@pytest.fixture
def dists(tmp_path: Path) -> dict[str, Path]:
    return {
        "foo-1.0": build_wheel(tmp_path, "foo", "1.0"),
        "foo-2.0": build_wheel(tmp_path, "foo", "2.0"),
        "foo-2.0-sdist": build_sdist(tmp_path, "foo", "2.0"),
        "Bar-1.0": build_wheel(tmp_path, "Bar", "1.0"),
        "foo-3.0": build_wheel(tmp_path, "foo", "3.0"),
    }


async def make_history(api: httpx.AsyncClient, dists: dict[str, Path]) -> list[Change]:
    """Publish, promote, demote, yank, un-yank, delete, restore, purge; the expected changes."""
    await publish(api, dists["foo-1.0"], dists["foo-2.0"], dists["foo-2.0-sdist"], dists["Bar-1.0"])
    # Settings changes: the audit log only.
    await ok(api.post(FEEDS + "/libs/views", json={"name": "staging"}), 201)
    await ok(api.post(version_url("foo", "1.0", "promote"), json={"view": "release"}))
    await ok(api.post(version_url("bar", "1.0", "promote"), json={"view": "staging"}))
    await ok(api.post(version_url("foo", "1.0", "demote"), json={"view": "release"}))
    await ok(api.post(version_url("foo", "2.0", "yank"), json={"reason": "broken"}))
    await ok(api.post(version_url("foo", "2.0", "unyank")))
    # Un-yanking again changes nothing, so it is no change.
    await ok(api.post(version_url("foo", "2.0", "unyank")))
    await ok(api.post(FEEDS + "/libs/packages/batch", json=_batch("delete", reason="old")))
    await ok(api.post(FEEDS + "/libs/packages/batch", json=_batch("restore")))
    await ok(api.post(FEEDS + "/libs/packages/batch", json=_batch("delete")))
    await ok(api.post(FEEDS + "/libs/packages/batch", json=_batch("purge")))
    return [
        ("publish", "foo", "1.0", None),
        ("publish", "foo", "2.0", None),
        ("publish", "foo", "2.0", None),
        ("publish", "Bar", "1.0", None),
        ("promote", "foo", "1.0", "release"),
        ("promote", "Bar", "1.0", "staging"),
        ("demote", "foo", "1.0", "release"),
        ("yank", "foo", "2.0", None),
        ("unyank", "foo", "2.0", None),
        ("delete", "Bar", "1.0", None),
        ("restore", "Bar", "1.0", None),
        ("delete", "Bar", "1.0", None),
        ("purge", "Bar", "1.0", None),
    ]


def _batch(operation: str, reason: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"operation": operation, "versions": [{"name": "bar", "version": "1.0"}]}
    if reason is not None:
        body["reason"] = reason
    return body


async def test_paging_returns_every_change_once_in_order(
    api: httpx.AsyncClient, feed: str, dists: dict[str, Path]
) -> None:
    expected = await make_history(api, dists)
    changes, token, pages = await read_all(api, CHANGES, batch=2)
    assert summary(changes) == expected
    assert pages == 7
    seqs = [change["seq"] for change in changes]
    assert seqs == sorted(set(seqs))
    assert changes[0]["files"] == [dists["foo-1.0"].name]
    assert changes[0]["reason"] is None
    assert changes[7]["reason"] == "broken"
    assert changes[9]["reason"] == "old"
    assert sorted(changes[10]["files"]) == [dists["Bar-1.0"].name]
    assert set(changes[0]) == {"seq", "kind", "package", "version", "view", "files", "reason", "at"}
    # One page of everything says the same.
    whole = await page(api, CHANGES)
    assert whole["changes"] == changes
    assert whole["has_more"] is False
    assert whole["feed"] == "acme/libs"

    # Polling with the last token: nothing, then only what is new.
    empty = await page(api, CHANGES, token)
    assert empty["changes"] == []
    assert empty["has_more"] is False
    assert empty["continuationToken"] == token
    await publish(api, dists["foo-3.0"])
    await ok(api.post(version_url("foo", "3.0", "promote"), json={"view": "prerelease"}))
    newer, _, _ = await read_all(api, CHANGES, token, batch=1)
    assert summary(newer) == [
        ("publish", "foo", "3.0", None),
        ("promote", "foo", "3.0", "prerelease"),
    ]
    assert newer[0]["seq"] > seqs[-1]


async def test_tokens_and_batch_sizes_are_checked(api: httpx.AsyncClient, feed: str) -> None:
    await create_feed(api, "acme/other")
    first = await page(api, CHANGES)
    assert first == {
        "feed": "acme/libs",
        "changes": [],
        "continuationToken": first["continuationToken"],
        "has_more": False,
    }
    token = first["continuationToken"]
    three_fields = base64.urlsafe_b64encode(b"q1:changes:1").decode()
    for bad in ("nonsense!", "bm9wZQ", "x" * 300, three_fields):
        assert_error(
            await api.get(CHANGES, params={"continuationToken": bad}), 400, "continuation token"
        )
    # Another feed's token, or the audit log's, is refused.
    other = await page(api, FEEDS + "/other/changes")
    assert_error(
        await api.get(CHANGES, params={"continuationToken": other["continuationToken"]}),
        400,
        "not one this server gave for the change feed of feed acme/libs",
    )
    assert_error(await api.get(AUDIT, params={"continuationToken": token}), 400, "audit log")
    for size in ("0", "1001", "-1"):
        assert_error(await api.get(CHANGES, params={"batchSize": size}), 400, "batchSize")
    assert_error(await api.get(CHANGES, params={"batchSize": "many"}), 400, "batchSize")
    assert (await page(api, CHANGES, batchSize=1000))["has_more"] is False
    assert_error(await api.get(AUDIT, params={"kind": "publish,nope"}), 400, "nope")
    assert_error(await api.get(FEEDS + "/libs@release/changes"), 400)
    assert_error(await api.get(FEEDS + "/missing/changes"), 404)
    assert_error(await api.get("/acme/proj/_apis/packaging/feeds/libs/changes"), 404)


async def test_readers_read_changes_owners_read_the_audit(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, feed: str, dists: dict[str, Path]
) -> None:
    await publish(api, dists["foo-1.0"])
    reader = await as_new_user(api, "rita", scope="packaging:read")
    owner_with_read_token = await as_new_user(api, "olga", scope="packaging:read")
    stranger = await as_new_user(api, "sam")
    await ok(api.put(f"{FEEDS}/libs/permissions/rita", json={"role": "reader"}))
    await ok(api.put(f"{FEEDS}/libs/permissions/olga", json={"role": "owner"}))
    async with reader, owner_with_read_token, stranger:
        found = await page(reader, CHANGES)
        assert summary(found["changes"]) == [("publish", "foo", "1.0", None)]
        assert "actor" not in found["changes"][0]
        assert "address" not in found["changes"][0]
        assert_error(await reader.get(AUDIT), 403, "owner")
        assert_error(await owner_with_read_token.get(AUDIT), 403, "owner")
        assert_error(await stranger.get(CHANGES), 404)
    assert_error(await anon.get(CHANGES), 401)
    assert_error(await anon.get(AUDIT), 401)


async def test_public_feeds_changes_are_public(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, dists: dict[str, Path]
) -> None:
    await create_org(api)
    await create_feed(api, "acme/libs", visibility="public")
    await publish(api, dists["foo-1.0"])
    found = await page(anon, CHANGES)
    assert summary(found["changes"]) == [("publish", "foo", "1.0", None)]
    assert_error(await anon.get(AUDIT), 401)


async def test_audit_shows_who_from_where_and_settings(
    api: httpx.AsyncClient, feed: str, dists: dict[str, Path]
) -> None:
    _, secret = await create_token(api, scope="packaging:manage", name="second")
    await publish(api, dists["foo-1.0"])
    await ok(api.post(FEEDS + "/libs/views", json={"name": "staging"}), 201)
    await ok(api.patch(FEEDS + "/libs/views/staging", json={"name": "qa"}))
    async with client_with(api, secret) as other:
        await ok(other.post(version_url("foo", "1.0", "yank"), json={"reason": "bad"}))
        entries, token, _ = await read_all(other, AUDIT, batch=1)
    kinds = [entry["kind"] for entry in entries]
    for kind in ("publish", "view-create", "view-update", "yank"):
        assert kind in kinds
    assert kinds.index("publish") < kinds.index("view-create") < kinds.index("yank")
    yank = next(entry for entry in entries if entry["kind"] == "yank")
    assert yank["actor"] == "admin"
    assert yank["address"] == "127.0.0.1"
    assert yank["detail"] == {"reason": "bad"}
    publish_entry = entries[kinds.index("publish")]
    assert publish_entry["detail"]["files"] == [dists["foo-1.0"].name]
    created = entries[kinds.index("view-create")]
    assert created["view"] == "staging"
    assert created["package"] is None
    # The kind filter; settings events never reach the change feed.
    only = await page(api, AUDIT, kind="view-create, view-update")
    assert [entry["kind"] for entry in only["entries"]] == ["view-create", "view-update"]
    changes = await page(api, CHANGES)
    assert [change["kind"] for change in changes["changes"]] == ["publish", "yank"]
    # Polling the audit log with its last token.
    assert (await page(api, AUDIT, token))["entries"] == []


async def test_concurrent_publishes_while_paging(
    api: httpx.AsyncClient, settings: Settings, feed: str, tmp_path: Path
) -> None:
    if not str(settings.database_url).startswith("postgresql"):
        pytest.skip("concurrent writers: PostgreSQL")
    wheels = [build_wheel(tmp_path, f"pkg{n}", "1.0") for n in range(24)]
    seen: list[int] = []
    done = asyncio.Event()

    async def reader() -> None:
        token: str | None = None
        while True:
            finished = done.is_set()
            found = await page(api, CHANGES, token, batchSize=3)
            seen.extend(change["seq"] for change in found["changes"])
            token = found["continuationToken"]
            if finished and not found["has_more"]:
                return
            await asyncio.sleep(0)

    async def writers() -> None:
        await asyncio.gather(*(publish(api, wheel) for wheel in wheels))
        done.set()

    await asyncio.gather(reader(), writers())
    everything, _, _ = await read_all(api, CHANGES, batch=1000)
    assert len(everything) == len(wheels)
    assert sorted(seen) == seen
    assert seen == [change["seq"] for change in everything]
