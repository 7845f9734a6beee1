"""REST: feeds (org- and project-scoped) and feed permissions."""

from __future__ import annotations

import httpx

from quiver.settings import Settings
from tests.http.rest_support import (
    as_new_user,
    assert_error,
    create_feed,
    create_org,
    create_user,
    ok,
)
from tests.support.rest import feed_url

FEEDS = "/acme/_apis/packaging/feeds"
PROJECT_FEEDS = "/acme/plat/_apis/packaging/feeds"


async def _org_and_project(api: httpx.AsyncClient) -> None:
    await create_org(api)
    await ok(api.post("/acme/_apis/projects", json={"name": "plat"}), 201)


async def test_feed_lifecycle(api: httpx.AsyncClient) -> None:
    await _org_and_project(api)
    created = await ok(api.post(FEEDS, json={"name": "Libs", "description": "our libraries"}), 201)
    assert created == {
        "name": "Libs",
        "ref": "acme/Libs",
        "org": "acme",
        "project": None,
        "description": "our libraries",
        "visibility": "private",
        "created_at": created["created_at"],
        "your_role": "owner",
        "readers_can_save": False,
        "index_url": "http://quiver.test/acme/_packaging/Libs/pypi/simple/",
        "upload_url": "http://quiver.test/acme/_packaging/Libs/pypi/upload/",
    }
    scoped = await ok(
        api.post(PROJECT_FEEDS, json={"name": "tools", "visibility": "organization"}), 201
    )
    assert scoped["ref"] == "acme/plat/tools"
    assert scoped["project"] == "plat"
    assert scoped["visibility"] == "organization"
    assert scoped["index_url"] == "http://quiver.test/acme/plat/_packaging/tools/pypi/simple/"

    # Names are unique in their scope, whatever the case; another scope may reuse them.
    assert_error(await api.post(FEEDS, json={"name": "libs"}), 409, "already exists")
    assert_error(await api.post(PROJECT_FEEDS, json={"name": "TOOLS"}), 409, "already exists")
    await ok(api.post(PROJECT_FEEDS, json={"name": "libs"}), 201)

    assert [f["ref"] for f in await ok(api.get(PROJECT_FEEDS))] == [
        "acme/plat/libs",
        "acme/plat/tools",
    ]
    assert "acme/Libs" in [f["ref"] for f in await ok(api.get(FEEDS))]
    shown = await ok(api.get(feed_url("acme/libs")))
    assert shown["name"] == "Libs"
    assert (await ok(api.get(feed_url("acme/plat/tools"))))["visibility"] == "organization"

    updated = await ok(api.patch(feed_url("acme/libs"), json={"visibility": "Public"}))
    assert updated["visibility"] == "public"
    assert updated["description"] == "our libraries"
    updated = await ok(api.patch(feed_url("acme/libs"), json={"description": "new"}))
    assert (updated["description"], updated["visibility"]) == ("new", "public")
    updated = await ok(api.patch(feed_url("acme/libs"), json={"description": None}))
    assert updated["description"] is None

    # Deleting moves a feed to the recycle bin (tests/http/test_recycle_feeds.py).
    assert (await api.delete(feed_url("acme/libs"))).status_code == 200
    assert_error(await api.get(feed_url("acme/libs")), 410, "recycle bin")
    assert_error(await api.delete(feed_url("acme/libs")), 410)
    assert (await api.delete(feed_url("acme/plat/tools"))).status_code == 200
    assert [f["ref"] for f in await ok(api.get(PROJECT_FEEDS))] == ["acme/plat/libs"]


async def test_bad_feed_requests(api: httpx.AsyncClient) -> None:
    await _org_and_project(api)
    for bad, fragment in (
        ("a@b", "must not contain @"),
        ("_x", "must not start"),
        (".x", "must not start"),
        ("x.", "must not end"),
        ("x" * 65, "at most 64"),
        ("a b", "whitespace"),
        ("a:b", "must not contain :"),
        ("", "empty"),
    ):
        assert_error(await api.post(FEEDS, json={"name": bad}), 400, fragment)
        assert_error(await api.post(PROJECT_FEEDS, json={"name": bad}), 400, fragment)
    await ok(api.post(FEEDS, json={"name": "x" * 64}), 201)
    assert_error(
        await api.post(FEEDS, json={"name": "v", "visibility": "secret"}), 400, "visibility"
    )
    assert_error(await api.post(FEEDS, json={"name": "d", "description": "x" * 256}), 400, "255")
    assert_error(await api.post(FEEDS, json={"name": "v", "color": "red"}), 400, "color")
    assert_error(await api.post(FEEDS, json={}), 400, "name")
    assert_error(await api.post("/nope/_apis/packaging/feeds", json={"name": "f"}), 404, "nope")
    assert_error(
        await api.post("/acme/nope/_apis/packaging/feeds", json={"name": "f"}), 404, "nope"
    )
    assert_error(await api.get("/acme/nope/_apis/packaging/feeds"), 404, "nope")
    await create_feed(api, "acme/libs")
    assert_error(await api.patch(feed_url("acme/libs"), json={"visibility": ""}), 400, "visibility")
    assert_error(await api.patch(feed_url("acme/libs"), json={"name": "other"}), 400, "name")
    # Management names feeds, not views.
    assert_error(await api.delete(feed_url("acme/libs@release")), 400, "without '@release'")
    assert (await api.get(feed_url("acme/libs"))).status_code == 200


async def test_feed_urls_use_the_configured_base_url(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    await _org_and_project(api)
    settings.base_url = "https://pkgs.example.com/quiver/"
    created = await create_feed(api, "acme/plat/tools")
    assert (
        created["index_url"]
        == "https://pkgs.example.com/quiver/acme/plat/_packaging/tools/pypi/simple/"
    )
    settings.base_url = "https://user:hunter2@pkgs.example.com"
    shown = await ok(api.get(feed_url("acme/plat/tools")))
    assert shown["upload_url"] == "https://pkgs.example.com/acme/plat/_packaging/tools/pypi/upload/"
    assert "hunter2" not in (await api.get(PROJECT_FEEDS)).text


async def test_permissions(api: httpx.AsyncClient) -> None:
    await create_org(api)
    await create_feed(api, "acme/libs")
    await create_user(api, "carol")
    url = feed_url("acme/libs", "/permissions")
    assert await ok(api.get(url)) == [{"username": "admin", "role": "owner"}]
    assert await ok(api.put(f"{url}/Carol", json={"role": "Contributor"})) == {
        "username": "carol",
        "role": "contributor",
    }
    await ok(api.put(f"{url}/carol", json={"role": "reader"}))
    assert await ok(api.get(url)) == [
        {"username": "admin", "role": "owner"},
        {"username": "carol", "role": "reader"},
    ]
    assert (await api.delete(f"{url}/carol")).status_code == 204
    assert_error(await api.delete(f"{url}/carol"), 404, "no role")
    assert_error(await api.put(f"{url}/carol", json={"role": "god"}), 400, "unknown role")
    assert_error(await api.put(f"{url}/carol", json={"role": "none"}), 400, "unknown role")
    assert_error(await api.put(f"{url}/carol", json={}), 400, "role")
    assert_error(await api.put(f"{url}/ghost", json={"role": "reader"}), 404, "ghost")
    assert_error(await api.get(feed_url("acme/nope", "/permissions")), 404)


async def test_what_other_users_may_do(api: httpx.AsyncClient, anon: httpx.AsyncClient) -> None:
    await create_org(api)
    await create_feed(api, "acme/private")
    await create_feed(api, "acme/members", visibility="organization")
    await create_feed(api, "acme/open", visibility="public")
    perms = feed_url("acme/private", "/permissions")
    async with await as_new_user(api, "bob") as bob:
        # Outsider: private and organization feeds do not exist for bob; public ones do.
        assert_error(await bob.get(feed_url("acme/private")), 404, "does not exist")
        assert_error(await bob.get(feed_url("acme/members")), 404)
        assert (await ok(bob.get(feed_url("acme/open"))))["your_role"] == "reader"
        assert [f["ref"] for f in await ok(bob.get(FEEDS))] == ["acme/open"]
        assert_error(await bob.delete(feed_url("acme/open")), 403, "owner role")
        # Member: organization feeds too.
        await ok(api.put("/_apis/organizations/acme/members/bob", json={"role": "member"}))
        assert [f["ref"] for f in await ok(bob.get(FEEDS))] == ["acme/members", "acme/open"]
        # An explicit role: reader sees, but neither manages nor lists permissions.
        await ok(api.put(f"{perms}/bob", json={"role": "reader"}))
        assert (await ok(bob.get(feed_url("acme/private"))))["your_role"] == "reader"
        assert_error(await bob.get(perms), 403, "owner role")
        assert_error(await bob.put(f"{perms}/bob", json={"role": "owner"}), 403, "owner role")
        assert_error(await bob.patch(feed_url("acme/private"), json={"description": "x"}), 403)
        assert_error(await bob.delete(feed_url("acme/private")), 403, "manage this feed")
        # An owner manages the feed.
        await ok(api.put(f"{perms}/bob", json={"role": "owner"}))
        await ok(bob.patch(feed_url("acme/private"), json={"description": "bob's"}))
        assert len(await ok(bob.get(perms))) == 2
        assert (await bob.delete(feed_url("acme/private"))).status_code == 200
    # Anonymous: 401 for private feeds (so pip sends credentials), reads of public ones.
    for url in (feed_url("acme/members"), feed_url("acme/ghost"), perms):
        response = await anon.get(url)
        assert_error(response, 401)
        assert response.headers["www-authenticate"].startswith("Basic")
    assert (await ok(anon.get(feed_url("acme/open"))))["your_role"] == "reader"
    assert [f["ref"] for f in await ok(anon.get(FEEDS))] == ["acme/open"]
    assert_error(await anon.post(FEEDS, json={"name": "x"}), 401)
    assert_error(await anon.delete(feed_url("acme/open")), 401)
