"""REST: users, the OpenAPI document, health, and the shape of every error."""

from __future__ import annotations

import httpx

from tests.http.rest_support import as_new_user, assert_error, client_with, create_user, ok


async def test_health_and_openapi(anon: httpx.AsyncClient) -> None:
    assert (await ok(anon.get("/_apis/health")))["status"] == "ok"
    doc = await ok(anon.get("/_apis/openapi.json"))
    paths = set(doc["paths"])
    for expected in (
        "/_apis/users",
        "/_apis/users/me",
        "/_apis/tokens",
        "/_apis/tokens/{token_id}",
        "/_apis/organizations",
        "/_apis/organizations/{org}/members",
        "/_apis/organizations/{org}/members/{user}",
        "/{org}/_apis/projects",
        "/{org}/_apis/packaging/feeds",
        "/{org}/_apis/packaging/feeds/{feed}",
        "/{org}/_apis/packaging/feeds/{feed}/permissions",
        "/{org}/_apis/packaging/feeds/{feed}/permissions/{user}",
        "/{org}/{project}/_apis/packaging/feeds",
        "/{org}/{project}/_apis/packaging/feeds/{feed}",
        "/{org}/{project}/_apis/packaging/feeds/{feed}/permissions/{user}",
    ):
        assert expected in paths, expected
    show = doc["paths"]["/{org}/{project}/_apis/packaging/feeds/{feed}"]["get"]
    assert {p["name"] for p in show["parameters"]} == {"org", "project", "feed"}
    assert set(doc["paths"]["/{org}/_apis/packaging/feeds"]) == {"get", "post"}
    assert "NewTokenOut" in doc["components"]["schemas"]
    assert "digest" not in doc["components"]["schemas"]["TokenOut"]["properties"]


async def test_me_and_users(api: httpx.AsyncClient) -> None:
    me = await ok(api.get("/_apis/users/me"))
    assert me == {"username": "admin", "is_admin": True, "scope": "packaging:manage", "token_id": 1}

    created = await ok(api.post("/_apis/users", json={"username": "Alice"}), 201)
    assert created["username"] == "Alice"
    assert created["is_admin"] is False
    await ok(api.post("/_apis/users", json={"username": "root2", "is_admin": True}), 201)
    users = await ok(api.get("/_apis/users"))
    assert [(u["username"], u["is_admin"]) for u in users] == [
        ("admin", True),
        ("Alice", False),
        ("root2", True),
    ]
    # Names are unique regardless of case.
    assert_error(await api.post("/_apis/users", json={"username": "alice"}), 409, "exists")


async def test_user_input_is_checked(api: httpx.AsyncClient) -> None:
    for bad in ("", "-x", "a b", "x.", "x" * 65, "a/b", "ünï"):
        assert_error(await api.post("/_apis/users", json={"username": bad}), 400, "user name")
    assert_error(await api.post("/_apis/users", json={}), 400, "username")
    assert_error(
        await api.post("/_apis/users", json={"username": "bob", "admin": True}), 400, "admin"
    )
    assert_error(
        await api.post("/_apis/users", content=b"{not json", headers={"content-type": "x"}), 400
    )


async def test_anonymous_and_bad_tokens_get_401(anon: httpx.AsyncClient) -> None:
    for method, url in (
        ("GET", "/_apis/users/me"),
        ("GET", "/_apis/users"),
        ("POST", "/_apis/users"),
        ("GET", "/_apis/tokens"),
        ("GET", "/_apis/organizations"),
    ):
        response = await anon.request(method, url, json={"username": "x"})
        assert_error(response, 401)
        assert response.headers["www-authenticate"].startswith("Basic")
    secret = "qvr_" + "Z" * 43
    async with client_with(anon, secret) as unknown:
        message = assert_error(await unknown.get("/_apis/users/me"), 401, "not known")
    assert secret not in message
    async with client_with(anon, "not-a-token") as malformed:
        assert_error(await malformed.get("/_apis/users/me"), 401, "not a Quiver token")


async def test_non_admin_sees_only_self(api: httpx.AsyncClient) -> None:
    async with await as_new_user(api, "bob") as bob:
        me = await ok(bob.get("/_apis/users/me"))
        assert me["username"] == "bob"
        assert me["is_admin"] is False
        assert [u["username"] for u in await ok(bob.get("/_apis/users"))] == ["bob"]
        assert_error(
            await bob.post("/_apis/users", json={"username": "mallory"}), 403, "administrators"
        )
    await create_user(api, "carol")
