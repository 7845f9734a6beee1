"""REST: managing upstream sources, readers_can_save, package upstream behaviour, versions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, update

from quiver.services.access import resolve_feed
from quiver.services.feeds.models import Feed
from quiver.services.packages.models import File
from quiver.services.records import FeedRef
from quiver.services.upstreams.queries import feed_upstreams
from quiver.settings import Settings
from tests.http.publishing import context_of, feed_ref, upload
from tests.http.rest_support import (
    as_new_user,
    assert_error,
    create_feed,
    create_org,
    ok,
    running_api,
)
from tests.support.dists import build_sdist, build_wheel
from tests.support.rest import feed_url

UPSTREAMS = feed_url("acme/libs", "/upstreams")


def ups(ref: str = "acme/libs", suffix: str = "") -> str:
    return feed_url(ref, "/upstreams" + suffix)


async def _serial(api: httpx.AsyncClient, ref: str = "acme/libs") -> int:
    async with context_of(api).sessions() as session:
        serial = await session.scalar(select(Feed.serial).where(Feed.path_key == ref.casefold()))
    assert serial is not None
    return serial


async def _names(api: httpx.AsyncClient, ref: str = "acme/libs") -> list[str]:
    listed = await ok(api.get(ups(ref)))
    assert [item["position"] for item in listed] == list(range(1, len(listed) + 1))
    return [item["name"] for item in listed]


async def test_add_list_move_remove(api: httpx.AsyncClient) -> None:
    await create_org(api)
    feed = await create_feed(api)
    assert feed["readers_can_save"] is False
    assert await ok(api.get(UPSTREAMS)) == []
    before = await _serial(api)

    pypi = await ok(api.post(UPSTREAMS, json={"name": "pypi", "url": "pypi"}), 201)
    assert pypi == {
        "name": "pypi",
        "position": 1,
        "kind": "index",
        "url": "https://pypi.org/simple/",
        "follows_pypi": True,
        "feed": None,
        "username": None,
        "has_credentials": False,
        "created_at": pypi["created_at"],
        # nothing fetched from it yet (tests/http/test_upstreams_health.py)
        "health": "unchecked",
        "last_ok_at": None,
        "last_error_at": None,
        "last_error": None,
    }
    assert await _serial(api) > before
    # The URL is normalized (scheme and host lower case, a trailing slash).
    mirror = await ok(
        api.post(UPSTREAMS, json={"name": "mirror", "url": "HTTPS://Mirror.Example:8443/simple"}),
        201,
    )
    assert mirror["url"] == "https://mirror.example:8443/simple/"
    assert mirror["follows_pypi"] is False
    assert mirror["position"] == 2
    # Credentials in the URL are split out and never shown again.
    secret = "s3cr%40t-pass"
    private = await ok(
        api.post(
            UPSTREAMS,
            json={"name": "corp", "url": f"https://ci-bot:{secret}@corp.example/pypi/simple/"},
        ),
        201,
    )
    assert private["url"] == "https://corp.example/pypi/simple/"
    assert private["username"] == "ci-bot"
    assert private["has_credentials"] is True
    separate = await ok(
        api.post(
            UPSTREAMS,
            json={
                "name": "other",
                "url": "https://other.example/simple/",
                "password": "token-only",
            },
        ),
        201,
    )
    assert separate["has_credentials"] is True
    assert separate["username"] is None
    listing = await api.get(UPSTREAMS)
    assert "s3cr" not in listing.text
    assert "token-only" not in listing.text
    assert await _names(api) == ["pypi", "mirror", "corp", "other"]

    # The fetch side gets the secret (decoded), in order, from the cache.
    ctx = context_of(api)
    infos = await feed_upstreams(ctx, feed_id=(await _feed_id(api)))
    assert [(i.name, i.position) for i in infos] == [
        ("pypi", 0),
        ("mirror", 1),
        ("corp", 2),
        ("other", 3),
    ]
    assert infos[2].secret == "s3cr@t-pass"
    assert infos[2].username == "ci-bot"
    assert "s3cr" not in repr(infos[2])

    moved = await ok(api.post(ups(suffix="/corp/move"), json={"position": 1}))
    assert [m["name"] for m in moved] == ["corp", "pypi", "mirror", "other"]
    moved = await ok(api.post(ups(suffix="/CORP/move"), json={"position": 4}))
    assert [m["name"] for m in moved] == ["pypi", "mirror", "other", "corp"]
    assert_error(await api.post(ups(suffix="/corp/move"), json={"position": 0}), 400, "between 1")
    assert_error(await api.post(ups(suffix="/corp/move"), json={"position": 5}), 400, "and 4")
    assert_error(await api.post(ups(suffix="/nope/move"), json={"position": 1}), 404, "nope")
    # The cache follows every change.
    infos = await feed_upstreams(ctx, await _feed_id(api))
    assert [i.name for i in infos] == ["pypi", "mirror", "other", "corp"]

    serial = await _serial(api)
    assert (await api.delete(ups(suffix="/mirror"))).status_code == 204
    assert await _serial(api) > serial
    assert await _names(api) == ["pypi", "other", "corp"]
    assert_error(await api.delete(ups(suffix="/mirror")), 404, "no upstream source named mirror")
    infos = await feed_upstreams(ctx, await _feed_id(api))
    assert [(i.name, i.position) for i in infos] == [("pypi", 0), ("other", 1), ("corp", 2)]
    # A name freed is free again; the new one goes last.
    await ok(api.post(UPSTREAMS, json={"name": "mirror", "url": "https://m2.example/simple/"}), 201)
    assert await _names(api) == ["pypi", "other", "corp", "mirror"]


async def _feed_id(api: httpx.AsyncClient, ref: str = "acme/libs") -> int:
    info = await resolve_feed(context_of(api), feed_ref(ref))
    assert info is not None
    return info.id


async def test_limits_and_bad_requests(api: httpx.AsyncClient) -> None:
    await create_org(api)
    await create_feed(api)
    for n in range(20):
        await ok(
            api.post(UPSTREAMS, json={"name": f"u{n}", "url": f"https://h{n}.example/s/"}), 201
        )
    assert_error(
        await api.post(UPSTREAMS, json={"name": "u20", "url": "https://h20.example/s/"}),
        400,
        "at most 20",
    )
    assert (await api.delete(ups(suffix="/u19"))).status_code == 204

    # Names are unique whatever the case; so are sources.
    assert_error(
        await api.post(UPSTREAMS, json={"name": "U1", "url": "https://x.example/s/"}),
        409,
        "already has an upstream source named U1",
    )
    assert_error(
        await api.post(UPSTREAMS, json={"name": "again", "url": "https://h1.example/s"}),
        409,
        "as u1",
    )
    bad_urls = {
        "ftp://files.example/simple/": "http:// or https://",
        "http:///simple/": "no host",
        "https://exa mple.com/simple/": "spaces",
        "https://example.com/simple/ ": None,  # trailing space is trimmed: fine
        "example.com/simple/": "http:// or https://",
        "https://example.com/simple/?x=1": "query",
        "https://example.com:99999/simple/": "invalid upstream url",
    }
    for url, fragment in bad_urls.items():
        response = await api.post(UPSTREAMS, json={"name": "bad", "url": url})
        if fragment is None:
            assert response.status_code == 201, response.text
            assert (await api.delete(ups(suffix="/bad"))).status_code == 204
        else:
            assert_error(response, 400, fragment)
    for name, fragment in (("a=b", "must not contain ="), ("", "empty"), ("_x", "start with")):
        assert_error(
            await api.post(UPSTREAMS, json={"name": name, "url": "https://n.example/s/"}),
            400,
            fragment,
        )
    assert_error(await api.post(UPSTREAMS, json={"name": "x"}), 400, "either url")
    assert_error(
        await api.post(UPSTREAMS, json={"name": "x", "url": "pypi", "feed": "acme/libs"}),
        400,
        "either url",
    )
    assert_error(
        await api.post(
            UPSTREAMS,
            json={"name": "x", "url": "https://u:p@c.example/s/", "password": "q"},
        ),
        400,
        "not both",
    )
    assert_error(await api.post(UPSTREAMS, json={"name": "x", "uri": "pypi"}), 400, "uri")
    assert_error(
        await api.post(ups("acme/nope"), json={"name": "x", "url": "pypi"}), 404, "acme/nope"
    )
    assert_error(await api.get(ups("acme/libs@local")), 400, "without '@local'")


async def test_feed_sources_access_and_cycles(api: httpx.AsyncClient) -> None:
    await create_org(api)
    await ok(api.post("/acme/_apis/projects", json={"name": "plat"}), 201)
    for ref in ("acme/a", "acme/b", "acme/c", "acme/plat/d"):
        await create_feed(api, ref)

    added = await ok(api.post(ups("acme/a"), json={"name": "b", "feed": "acme/b"}), 201)
    assert added["kind"] == "feed"
    assert added["feed"] == "acme/b@local"
    assert added["url"] is None
    assert_error(
        await api.post(ups("acme/a"), json={"name": "b2", "feed": "acme/b@local"}),
        409,
        "as b",
    )
    assert_error(
        await api.post(ups("acme/a"), json={"name": "r", "feed": "acme/b@nope"}),
        400,
        "view nope does not exist in feed acme/b",
    )
    assert_error(
        await api.post(ups("acme/a"), json={"name": "n", "feed": "acme/none"}),
        404,
        "acme/none",
    )
    assert_error(await api.post(ups("acme/a"), json={"name": "n", "feed": "acme"}), 400, "ORG/FEED")
    assert_error(
        await api.post(ups("acme/a"), json={"name": "n", "feed": "acme/c", "username": "u"}),
        400,
        "no credentials",
    )

    # Cycles: a -> a, b -> a (a -> b exists), and longer ones.
    message = assert_error(
        await api.post(ups("acme/a"), json={"name": "self", "feed": "acme/a"}), 400, "cycle"
    )
    assert "acme/a → acme/a" in message
    message = assert_error(
        await api.post(ups("acme/b"), json={"name": "a", "feed": "acme/a@local"}), 400, "cycle"
    )
    assert "acme/b → acme/a → acme/b" in message
    await ok(api.post(ups("acme/c"), json={"name": "a", "feed": "acme/a"}), 201)
    await ok(api.post(ups("acme/plat/d"), json={"name": "c", "feed": "acme/c"}), 201)
    message = assert_error(
        await api.post(ups("acme/b"), json={"name": "d", "feed": "acme/plat/d"}), 400, "cycle"
    )
    assert "acme/b → acme/plat/d → acme/c → acme/a → acme/b" in message
    # Not a cycle: a diamond.
    await ok(api.post(ups("acme/plat/d"), json={"name": "b", "feed": "acme/b"}), 201)

    # The source feed must be readable by the one who adds it.
    other = await as_new_user(api, "olga")
    await ok(api.put("/_apis/organizations/acme/members/olga", json={"role": "owner"}))
    await ok(api.post("/acme/_apis/packaging/feeds", json={"name": "mine"}), 201)
    await ok(api.put(feed_url("acme/mine", "/permissions/olga"), json={"role": "owner"}))
    assert_error(
        await other.post(ups("acme/mine"), json={"name": "a", "feed": "acme/a"}),
        404,
        "acme/a",
    )
    await create_feed(api, "acme/open", visibility="organization")
    await ok(other.post(ups("acme/mine"), json={"name": "open", "feed": "acme/open"}), 201)
    # A token limited to the feed itself cannot reach the source: 403.
    limited_id = await ok(
        api.post(
            "/_apis/tokens",
            json={"name": "l", "user": "olga", "scope": "packaging:manage", "feeds": ["acme/mine"]},
        ),
        201,
    )
    async with httpx.AsyncClient(
        transport=api._transport,
        base_url=api.base_url,
        headers={"Authorization": f"Bearer {limited_id['token']}"},
    ) as limited:
        assert_error(
            await limited.post(ups("acme/mine"), json={"name": "c", "feed": "acme/c"}),
            404,
        )
        assert_error(
            await limited.post(ups("acme/mine"), json={"name": "o2", "feed": "acme/open@local"}),
            403,
            "limited to other feeds",
        )
    await other.aclose()

    # Deleting a source feed (to the recycle bin) changes the pages of the feeds that use it
    # (they skip it meanwhile); purging it removes it from their lists.
    serial = await _serial(api, "acme/c")
    assert (await api.delete(feed_url("acme/a"))).status_code == 200
    assert await _names(api, "acme/c") == ["a"]
    assert await _serial(api, "acme/c") > serial
    assert (await api.delete("/acme/_apis/packaging/feed-recycle-bin/a")).status_code == 204
    assert await _names(api, "acme/c") == []
    assert await _names(api, "acme/plat/d") == ["c", "b"]


async def test_only_owners_manage_upstreams(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await create_org(api)
    await create_feed(api, visibility="public")
    await ok(api.post(UPSTREAMS, json={"name": "pypi", "url": "pypi"}), 201)
    carl = await as_new_user(api, "carl")
    await ok(api.put(feed_url("acme/libs", "/permissions/carl"), json={"role": "contributor"}))
    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", UPSTREAMS, None),
        ("POST", UPSTREAMS, {"name": "x", "url": "https://x.example/s/"}),
        ("DELETE", ups(suffix="/pypi"), None),
        ("POST", ups(suffix="/pypi/move"), {"position": 1}),
        ("PATCH", feed_url("acme/libs"), {"readers_can_save": True}),
    ]
    for method, url, body in calls:
        assert_error(await carl.request(method, url, json=body), 403, "owner role")
        assert_error(await anon.request(method, url, json=body), 401)
    # A manage-scope owner token is needed: a write token acts at most as contributor.
    _, write = await _token(api, scope="packaging:write")
    async with httpx.AsyncClient(
        transport=api._transport,
        base_url=api.base_url,
        headers={"Authorization": f"Bearer {write}"},
    ) as writer:
        assert_error(await writer.get(UPSTREAMS), 403, "owner role")
    await carl.aclose()


async def _token(api: httpx.AsyncClient, scope: str) -> tuple[int, str]:
    made = await ok(api.post("/_apis/tokens", json={"name": "t", "scope": scope}), 201)
    return made["id"], made["token"]


async def test_create_feed_with_upstreams(api: httpx.AsyncClient) -> None:
    await create_org(api)
    await create_feed(api, "acme/shared")
    feeds = "/acme/_apis/packaging/feeds"
    created = await ok(
        api.post(
            feeds,
            json={
                "name": "libs",
                "readers_can_save": True,
                "upstreams": [
                    {"name": "shared", "feed": "acme/shared@local"},
                    {"name": "pypi", "url": "pypi"},
                ],
            },
        ),
        201,
    )
    assert created["readers_can_save"] is True
    listed = await ok(api.get(UPSTREAMS))
    assert [(u["name"], u["url"] or u["feed"]) for u in listed] == [
        ("shared", "acme/shared@local"),
        ("pypi", "https://pypi.org/simple/"),
    ]
    # Any bad source refuses the whole feed: nothing is created.
    for upstreams, status in (
        ([{"name": "p", "url": "pypi"}, {"name": "P", "url": "https://x.example/"}], 409),
        ([{"name": "p", "url": "pypi"}, {"name": "q", "url": "pypi"}], 409),
        ([{"name": "p", "url": "ftp://x.example/"}], 400),
        ([{"name": "n", "feed": "acme/none"}], 404),
        ([{"name": f"u{n}", "url": f"https://{n}.example/"} for n in range(21)], 400),
    ):
        response = await api.post(feeds, json={"name": "tools", "upstreams": upstreams})
        assert_error(response, status)
        assert_error(await api.get(feed_url("acme/tools")), 404)


async def test_readers_can_save(api: httpx.AsyncClient) -> None:
    await create_org(api)
    await create_feed(api)
    ctx = context_of(api)
    ref = FeedRef("acme", None, "libs")
    info = await resolve_feed(ctx, ref)
    assert info is not None
    assert info.readers_can_save is False
    changed = await ok(api.patch(feed_url("acme/libs"), json={"readers_can_save": True}))
    assert changed["readers_can_save"] is True
    assert changed["visibility"] == "private"
    assert (await ok(api.get(feed_url("acme/libs"))))["readers_can_save"] is True
    info = await resolve_feed(ctx, ref)
    assert info is not None
    assert info.readers_can_save is True
    # Other fields leave it alone.
    changed = await ok(api.patch(feed_url("acme/libs"), json={"description": "d"}))
    assert changed["readers_can_save"] is True
    changed = await ok(api.patch(feed_url("acme/libs"), json={"readers_can_save": False}))
    assert changed["readers_can_save"] is False
    assert_error(
        await api.patch(feed_url("acme/libs"), json={"readers_can_save": "maybe"}),
        400,
        "readers_can_save",
    )


async def test_package_upstreaming_and_versions(api: httpx.AsyncClient, tmp_path: Path) -> None:
    await create_org(api)
    await create_feed(api)
    reader = await as_new_user(api, "rita")
    await ok(api.put(feed_url("acme/libs", "/permissions/rita"), json={"role": "reader"}))
    wheel = build_wheel(tmp_path, "Foo.Bar", "1.0")
    sdist = build_sdist(tmp_path, "foo-bar", "1.0")
    last = build_wheel(tmp_path, "foo-bar", "10.0")
    for path in (wheel, sdist, build_wheel(tmp_path, "foo-bar", "2.0"), last):
        response = await upload(api, "acme/libs", path)
        assert response.status_code == 200, response.text
    packages = feed_url("acme/libs", "/packages")
    assert await ok(api.get(packages)) == [
        {
            "name": "Foo.Bar",
            "normalized_name": "foo-bar",
            "versions": 3,
            "files": 4,
            "saved_files": 0,
            "upstream_behavior": "default",
        }
    ]

    upstreaming = packages + "/foo_bar/upstreaming"
    assert await ok(reader.get(upstreaming)) == {"name": "Foo.Bar", "behavior": "default"}
    serial = await _serial(api)
    assert await ok(api.put(upstreaming, json={"behavior": "allow-external-versions"})) == {
        "name": "Foo.Bar",
        "behavior": "allow-external-versions",
    }
    assert await _serial(api) > serial
    assert (await ok(api.get(upstreaming)))["behavior"] == "allow-external-versions"
    assert_error(await api.put(upstreaming, json={"behavior": "always"}), 400, "default")
    assert_error(
        await api.put(packages + "/nope/upstreaming", json={"behavior": "default"}),
        404,
        "nope",
    )
    assert_error(await api.get(packages + "/nope/upstreaming"), 404, "not in feed acme/libs")
    assert_error(await reader.put(upstreaming, json={"behavior": "default"}), 403, "owner role")

    versions = await ok(reader.get(packages + "/FOO.bar/versions"))
    assert versions["name"] == "Foo.Bar"
    assert versions["feed"] == "acme/libs"
    assert versions["upstream_behavior"] == "allow-external-versions"
    assert [v["version"] for v in versions["versions"]] == ["1.0", "2.0", "10.0"]
    first = versions["versions"][0]
    assert [f["filename"] for f in first["files"]] == sorted([wheel.name, sdist.name])
    for file in first["files"]:
        assert file["origin"] == "local"
        assert file["uploaded_by"] == "admin"
        assert file["upstream"] is None
        assert file["source_url"] is None
        assert len(file["sha256"]) == 64
    assert_error(await api.get(packages + "/nope/versions"), 404, "nope")

    # A saved file (as the fetch side records it) shows its source, which outlives the upstream.
    await ok(api.post(UPSTREAMS, json={"name": "pypi", "url": "pypi"}), 201)
    upstream_id = (await feed_upstreams(context_of(api), await _feed_id(api)))[0].id
    source = f"https://files.example/{last.name}"
    async with context_of(api).sessions() as session, session.begin():
        await session.execute(
            update(File)
            .where(File.filename == last.name)
            .values(
                origin="upstream",
                upstream_id=upstream_id,
                upstream_name="pypi",
                source_url=source,
                uploaded_by=None,
            )
        )
    listed = await ok(api.get(packages))
    assert listed[0]["saved_files"] == 1
    assert (await api.delete(ups(suffix="/pypi"))).status_code == 204
    versions = await ok(api.get(packages + "/foo-bar/versions"))
    (saved,) = versions["versions"][2]["files"]
    assert saved["origin"] == "upstream"
    assert saved["upstream"] == "pypi"
    assert saved["source_url"] == source
    assert saved["uploaded_by"] is None
    async with context_of(api).sessions() as session:
        row = await session.scalar(select(File).where(File.filename == saved["filename"]))
    assert row is not None
    assert row.upstream_id is None
    await reader.aclose()


async def test_pypi_alias_follows_the_setting(settings: Settings) -> None:
    """A feed given ``pypi`` uses QUIVER_PYPI_URL as it is now, not as it was when added."""
    async with running_api(settings) as api:
        await create_org(api)
        await create_feed(api)
        await ok(api.post(UPSTREAMS, json={"name": "public", "url": "pypi"}), 201)
        await ok(api.post(UPSTREAMS, json={"name": "pinned", "url": settings.pypi_url}), 201)
    moved = settings.model_copy(update={"pypi_url": "https://mirror.corp.example/simple/"})
    async with running_api(moved) as api:
        listed = {item["name"]: item for item in await ok(api.get(UPSTREAMS))}
        assert listed["public"]["url"] == "https://mirror.corp.example/simple/"
        assert listed["public"]["follows_pypi"] is True
        # An explicit URL stays where it was put.
        assert listed["pinned"]["url"] == "https://pypi.org/simple/"
        assert listed["pinned"]["follows_pypi"] is False
        context = context_of(api)
        feed = await resolve_feed(context, FeedRef("acme", None, "libs"))
        assert feed is not None
        sources = await feed_upstreams(context, feed.id)
        assert [s.url for s in sources] == [
            "https://mirror.corp.example/simple/",
            "https://pypi.org/simple/",
        ]
