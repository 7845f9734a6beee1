"""The feed recycle bin: delete a feed, restore it, purge it (and the scheduled purge).

In-process on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from quiver.db.base import utcnow
from quiver.services.changes.models import FeedEvent
from quiver.services.feeds.models import Feed
from quiver.services.packages.models import File
from quiver.services.recycle.service import purge_expired_feeds
from quiver.services.tokens.models import Token
from tests.http.publishing import context_of, upload
from tests.http.rest_support import (
    as_new_user,
    assert_error,
    client_with,
    create_feed,
    create_org,
    create_token,
    ok,
)
from tests.support.dists import build_wheel

FEEDS = "/acme/_apis/packaging/feeds"
BIN = "/acme/_apis/packaging/feed-recycle-bin"
JSON = {"Accept": "application/vnd.pypi.simple.v1+json"}


def index(feed: str, rest: str = "") -> str:
    return f"/acme/_packaging/{feed}/pypi/simple/{rest}"


def gone_sentence(ref: str = "acme/libs") -> str:
    return (
        f"Feed {ref} was deleted on {{}} by admin and is in the recycle bin; an owner can "
        f"restore it with `quiver feed restore {ref}` until {{}}."
    )


def stamp(moment: str) -> str:
    return datetime.fromisoformat(moment).strftime("%Y-%m-%d %H:%M UTC")


@pytest.fixture
async def wheels(tmp_path: Path) -> dict[str, Path]:
    return {v: build_wheel(tmp_path, "pkg", v) for v in ("1.0", "2.0")}


@pytest.fixture
async def libs(api: httpx.AsyncClient, wheels: dict[str, Path]) -> str:
    """acme/libs (private) with pkg 1.0 and 2.0; 1.0 promoted to release."""
    await create_org(api)
    await create_feed(api, "acme/libs")
    for wheel in wheels.values():
        published = await upload(api, "acme/libs", wheel)
        assert published.status_code == 200, published.text
    await ok(api.post(f"{FEEDS}/libs/packages/pkg/versions/1.0/promote", json={"view": "release"}))
    return "acme/libs"


async def user_with_role(api: httpx.AsyncClient, name: str, role: str) -> httpx.AsyncClient:
    client = await as_new_user(api, name)
    await ok(api.put(f"{FEEDS}/libs/permissions/{name}", json={"role": role}))
    return client


async def versions_in(client: httpx.AsyncClient, feed: str) -> list[str]:
    page = await client.get(index(feed, "pkg/"), headers=JSON)
    assert page.status_code == 200, page.text
    versions: list[str] = page.json()["versions"]
    return versions


def reads_and_writes(wheel: Path) -> list[tuple[str, str]]:
    """Requests that every reader of acme/libs could make (some need more than reading)."""
    return [
        ("GET", index("libs")),
        ("GET", index("libs", "pkg/")),
        ("GET", index("libs", f"pkg/{wheel.name}")),
        ("GET", index("libs", f"pkg/{wheel.name}.metadata")),
        ("GET", index("libs@release", "pkg/")),
        ("GET", f"{FEEDS}/libs"),
        ("PATCH", f"{FEEDS}/libs"),
        ("DELETE", f"{FEEDS}/libs"),
        ("GET", f"{FEEDS}/libs/packages"),
        ("GET", f"{FEEDS}/libs/packages/pkg/versions"),
        ("POST", f"{FEEDS}/libs/packages/pkg/versions/2.0/yank"),
        ("POST", f"{FEEDS}/libs/packages/pkg/versions/2.0/promote"),
        ("GET", f"{FEEDS}/libs/views"),
        ("GET", f"{FEEDS}/libs/upstreams"),
        ("GET", f"{FEEDS}/libs/permissions"),
        ("PUT", f"{FEEDS}/libs/permissions/admin"),
    ]


BODIES = {"PUT": {"role": "owner"}, "PATCH": {"description": "x"}}


async def send(client: httpx.AsyncClient, method: str, url: str) -> httpx.Response:
    body = {"view": "release"} if url.endswith("/promote") else BODIES.get(method)
    return await client.request(method, url, json=body)


async def test_a_deleted_feed_refuses_reads_and_writes_until_restored(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, libs: str, wheels: dict[str, Path]
) -> None:
    reader = await user_with_role(api, "rita", "reader")
    writer = await user_with_role(api, "carl", "contributor")
    outsider = await as_new_user(api, "otto")
    _, limited = await create_token(api, "rita", scope="packaging:read", feeds=["acme/libs"])
    third = build_wheel(wheels["1.0"].parent / "third", "pkg", "3.0")
    assert await versions_in(reader, "libs") == ["1.0", "2.0"]

    deleted = await ok(api.delete(f"{FEEDS}/libs"))
    assert (deleted["ref"], deleted["deleted_by"]) == ("acme/libs", "admin")
    when = datetime.fromisoformat(deleted["deleted_at"])
    assert abs(when - utcnow()) < timedelta(minutes=1)
    assert datetime.fromisoformat(deleted["purge_after"]) == when + timedelta(days=30)
    sentence = gone_sentence().format(stamp(deleted["deleted_at"]), stamp(deleted["purge_after"]))

    # Everyone with a role (and the admin) is told what happened and how to undo it.
    for client in (api, reader, writer):
        for method, url in reads_and_writes(wheels["1.0"]):
            response = await send(client, method, url)
            assert assert_error(response, 410) == sentence, (method, url)
    assert assert_error(await upload(writer, libs, third), 410) == sentence
    # Others learn nothing: 404, or 401 for anonymous callers.
    for method, url in reads_and_writes(wheels["1.0"])[:6]:
        assert_error(await send(outsider, method, url), 404, "does not exist")
        assert_error(await send(anon, method, url), 401)
    # A token limited to the feed keeps its limit.
    async with client_with(api, limited) as only_libs:
        assert_error(await only_libs.get(index("libs", "pkg/")), 410, "recycle bin")

    # The feed list hides it; the name stays reserved; only owners see it in the bin.
    assert "acme/libs" not in [f["ref"] for f in await ok(api.get(FEEDS))]
    message = assert_error(await api.post(FEEDS, json={"name": "LIBS"}), 409, "recycle bin")
    assert message == (
        f"Feed acme/LIBS is in the recycle bin (deleted {stamp(deleted['deleted_at'])}): "
        "restore it, or purge it to reuse the name."
    )
    listed = await ok(api.get(BIN))
    assert [(f["ref"], f["deleted_by"], f["purge_after"]) for f in listed] == [
        ("acme/libs", "admin", deleted["purge_after"])
    ]
    assert_error(await reader.get(BIN), 404, "acme does not exist")  # not even a member
    assert_error(await anon.get(BIN), 401)
    assert_error(await outsider.get("/nope/_apis/packaging/feed-recycle-bin"), 404, "nope")

    # Only owners restore (404/401 for the others, as for any feed they cannot manage).
    assert_error(await reader.post(f"{BIN}/libs/restore"), 403, "owner role")
    assert_error(await outsider.post(f"{BIN}/libs/restore"), 404)
    assert_error(await anon.post(f"{BIN}/libs/restore"), 401)
    restored = await ok(api.post(f"{BIN}/libs/restore"))
    assert (restored["ref"], restored["your_role"]) == ("acme/libs", "owner")
    assert_error(await api.post(f"{BIN}/libs/restore"), 409, "not in the recycle bin")

    # Everything is back: packages, views and their promotions, permissions.
    assert await versions_in(reader, "libs") == ["1.0", "2.0"]
    assert await versions_in(reader, "libs@release") == ["1.0"]
    got = await reader.get(index("libs", f"pkg/{wheels['2.0'].name}"))
    assert got.content == wheels["2.0"].read_bytes()
    roles = {p["username"]: p["role"] for p in await ok(api.get(f"{FEEDS}/libs/permissions"))}
    assert roles == {"admin": "owner", "rita": "reader", "carl": "contributor"}
    assert (await upload(writer, libs, third)).status_code == 200
    assert await ok(api.get(BIN)) == []

    # The change feed and audit log hold the deletion and the restore.
    async with context_of(api).sessions() as session:
        feed_id = await session.scalar(select(Feed.id).where(Feed.path_key == "acme/libs"))
        events = (
            await session.scalars(
                select(FeedEvent)
                .where(FeedEvent.feed_id == feed_id, FeedEvent.kind.like("feed-%"))
                .order_by(FeedEvent.seq)
            )
        ).all()
    assert [(e.kind, e.actor) for e in events] == [
        ("feed-delete", "admin"),
        ("feed-restore", "admin"),
    ]
    detail = events[1].detail
    assert detail is not None and detail["deleted_by"] == "admin"
    assert datetime.fromisoformat(detail["deleted_at"]) == when
    for client in (reader, writer, outsider):
        await client.aclose()


async def test_purge_removes_rows_and_unshared_blobs_and_frees_the_name(
    api: httpx.AsyncClient, libs: str, wheels: dict[str, Path]
) -> None:
    ctx = context_of(api)
    await create_feed(api, "acme/other")
    shared = await upload(api, "acme/other", wheels["1.0"])  # the same bytes: the same blobs
    assert shared.status_code == 200, shared.text
    async with ctx.sessions() as session:
        rows = (
            await session.execute(select(File.filename, File.blob_key, File.metadata_blob_key))
        ).all()
    own = {k for name, key, meta in rows if name == wheels["2.0"].name for k in (key, meta) if k}
    common = {k for name, key, meta in rows if name == wheels["1.0"].name for k in (key, meta) if k}
    assert len(own) == 2 and len(common) == 2
    _, only_libs = await create_token(api, scope="packaging:read", feeds=["acme/libs"])
    _, both = await create_token(api, scope="packaging:read", feeds=["acme/libs", "acme/other"])

    assert_error(await api.delete(f"{BIN}/libs"), 409, "delete it first")
    await ok(api.delete(f"{FEEDS}/libs"))
    assert (await api.delete(f"{BIN}/libs")).status_code == 204
    assert_error(await api.delete(f"{BIN}/libs"), 404, "does not exist")
    assert_error(await api.get(f"{FEEDS}/libs"), 404, "does not exist")

    async with ctx.sessions() as session:
        assert (
            await session.scalar(select(func.count()).select_from(Feed).where(Feed.name == "libs"))
            == 0
        )
        assert [name for (name,) in (await session.execute(select(File.filename))).all()] == [
            wheels["1.0"].name
        ]
        tokens = (await session.scalars(select(Token))).all()
        revoked = [t.revoked_at is not None for t in tokens]
    for key in own:
        assert not await ctx.blobs.exists(key), key
    for key in common:
        assert await ctx.blobs.exists(key), key
    # A token limited to the purged feed alone is revoked (it would reach every feed otherwise).
    async with client_with(api, only_libs) as client:
        assert_error(await client.get(index("other", "pkg/")), 401, "revoked")
    async with client_with(api, both) as client:
        assert await versions_in(client, "other") == ["1.0"]
    assert revoked.count(True) == 1

    # The name is free: a new, empty feed.
    await ok(api.post(FEEDS, json={"name": "libs"}), 201)
    assert (await api.get(index("libs", "pkg/"))).status_code == 404
    assert (await upload(api, "acme/libs", wheels["2.0"])).status_code == 200


async def test_the_scheduled_purge_takes_feeds_deleted_long_enough_ago(
    api: httpx.AsyncClient, libs: str
) -> None:
    ctx = context_of(api)
    await create_feed(api, "acme/kept")
    await ok(api.delete(f"{FEEDS}/libs"))
    assert await purge_expired_feeds(ctx, utcnow() + timedelta(days=29)) == 0
    assert [f["ref"] for f in await ok(api.get(BIN))] == ["acme/libs"]
    assert await purge_expired_feeds(ctx, utcnow() + timedelta(days=31)) == 1
    assert await ok(api.get(BIN)) == []
    assert [f["ref"] for f in await ok(api.get(FEEDS))] == ["acme/kept"]
    assert await purge_expired_feeds(ctx, utcnow() + timedelta(days=31)) == 0


async def test_a_downstream_feed_skips_a_deleted_source_until_it_is_restored(
    api: httpx.AsyncClient, libs: str
) -> None:
    sources = [{"name": "libs", "feed": "acme/libs"}]
    await ok(api.post(FEEDS, json={"name": "apps", "upstreams": sources}), 201)
    release = [{"name": "rel", "feed": "acme/libs@release"}]
    await ok(api.post(FEEDS, json={"name": "stable", "upstreams": release}), 201)
    assert await versions_in(api, "apps") == ["1.0", "2.0"]
    assert await versions_in(api, "stable") == ["1.0"]

    await ok(api.delete(f"{FEEDS}/libs"))
    for feed in ("apps", "stable"):
        assert_error(await api.get(index(feed, "pkg/")), 404, "does not exist")
        listed = await ok(api.get(f"{FEEDS}/{feed}/upstreams"))
        assert [item["feed"] for item in listed] in (["acme/libs@local"], ["acme/libs@release"])
    # A feed in the bin cannot become anyone's source either.
    assert_error(
        await api.post(f"{FEEDS}/apps/upstreams", json={"name": "x", "feed": "acme/libs@release"}),
        410,
        "recycle bin",
    )

    await ok(api.post(f"{BIN}/libs/restore"))
    assert await versions_in(api, "apps") == ["1.0", "2.0"]
    assert await versions_in(api, "stable") == ["1.0"]


async def test_project_feeds_have_their_bin_under_the_project(api: httpx.AsyncClient) -> None:
    await create_org(api)
    await ok(api.post("/acme/_apis/projects", json={"name": "plat"}), 201)
    await create_feed(api, "acme/plat/tools")
    await create_feed(api, "acme/tools")
    project_bin = "/acme/plat/_apis/packaging/feed-recycle-bin"
    deleted = await ok(api.delete("/acme/plat/_apis/packaging/feeds/tools"))
    assert deleted["ref"] == "acme/plat/tools"
    message = assert_error(await api.get("/acme/plat/_packaging/tools/pypi/simple/"), 410)
    assert "`quiver feed restore acme/plat/tools`" in message
    assert [f["ref"] for f in await ok(api.get(project_bin))] == ["acme/plat/tools"]
    assert [f["ref"] for f in await ok(api.get(BIN))] == ["acme/plat/tools"]
    assert (await api.get(index("tools"))).status_code == 200
    assert_error(await api.post(f"{BIN}/tools/restore"), 409, "not in the recycle bin")
    await ok(api.post(f"{project_bin}/tools/restore"))
    assert await ok(api.get(project_bin)) == []
