"""REST: users, the OpenAPI document, health, and the shape of every error."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest

from quiver.domain.errors import Conflict
from quiver.services.records import Principal
from quiver.services.users import service as accounts
from tests.http.publishing import context_of, make_feed, upload
from tests.http.rest_support import (
    as_new_user,
    assert_error,
    client_with,
    create_token,
    create_user,
    ok,
)
from tests.http.simple_support import FEED, publish_foo_bar, simple
from tests.support.dists import build_wheel


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


# --- disabling, enabling and deleting users ---------------------------------------------------

FEEDS = "/acme/_apis/packaging/feeds"


def basic(secret: str) -> dict[str, str]:
    """The Authorization header pip sends: Basic, any name, the token as password."""
    return {"Authorization": "Basic " + base64.b64encode(f"__token__:{secret}".encode()).decode()}


async def test_disable_refuses_tokens_at_once_and_enable_restores(
    api: httpx.AsyncClient, tmp_path: Path
) -> None:
    await publish_foo_bar(api, tmp_path)
    await create_user(api, "dora")
    await ok(api.put(f"{FEEDS}/libs/permissions/dora", json={"role": "reader"}))
    _, secret = await create_token(api, "dora")
    index = simple(FEED)
    async with client_with(api, secret) as dora:
        # Used once, so the principal is cached: disabling must drop it.
        assert (await ok(dora.get("/_apis/users/me")))["username"] == "dora"
        assert (await dora.get(index, headers=basic(secret))).status_code == 200
        disabled = await ok(api.post("/_apis/users/dora/disable"))
        assert disabled["disabled"] is True
        assert disabled["disabled_at"]
        assert_error(await dora.get("/_apis/users/me"), 401, "disabled")
        assert_error(await dora.get(index, headers=basic(secret)), 401, "disabled")
        # Disabling again keeps the first time.
        again = await ok(api.post("/_apis/users/DORA/disable"))
        assert again["disabled_at"] == disabled["disabled_at"]
        listed = {u["username"]: u for u in await ok(api.get("/_apis/users"))}
        assert listed["dora"]["disabled"] is True
        assert listed["admin"]["disabled"] is False
        assert listed["admin"]["disabled_at"] is None

        enabled = await ok(api.post("/_apis/users/dora/enable"))
        assert enabled["disabled"] is False
        assert enabled["disabled_at"] is None
        assert (await ok(dora.get("/_apis/users/me")))["username"] == "dora"
        assert (await dora.get(index, headers=basic(secret))).status_code == 200


async def test_disabled_user_cannot_sign_in_with_password(api: httpx.AsyncClient) -> None:
    await create_user(api, "pia")
    await ok(api.put("/_apis/users/pia/password", json={"password": "correct horse"}), 204)
    ctx = context_of(api)
    assert await accounts.verify_password(ctx, "pia", "correct horse") is not None
    await ok(api.post("/_apis/users/pia/disable"))
    assert await accounts.verify_password(ctx, "pia", "correct horse") is None
    await ok(api.post("/_apis/users/pia/enable"))
    assert await accounts.verify_password(ctx, "pia", "correct horse") is not None


async def test_delete_refuses_tokens_and_history_keeps_the_name(
    api: httpx.AsyncClient, tmp_path: Path
) -> None:
    await make_feed(api, FEED)
    await create_user(api, "erin")
    await ok(api.put(f"{FEEDS}/libs/permissions/erin", json={"role": "contributor"}))
    _, secret = await create_token(api, "erin")
    wheel = build_wheel(tmp_path, "erins-lib", "1.0")
    async with client_with(api, secret) as erin:
        assert (await upload(erin, FEED, wheel)).status_code == 200
        yank = f"{FEEDS}/libs/packages/erins-lib/versions/1.0/yank"
        await ok(erin.post(yank, json={"reason": "oops"}))
        await ok(api.delete("/_apis/users/erin"), 204)
        assert_error(await erin.get("/_apis/users/me"), 401, "not known")
        assert_error(await erin.get(simple(FEED), headers=basic(secret)), 401)
    assert "erin" not in [u["username"] for u in await ok(api.get("/_apis/users"))]
    assert_error(await api.delete("/_apis/users/erin"), 404, "erin")
    audit = await ok(api.get(f"{FEEDS}/libs/audit"))
    actors = {entry["kind"]: entry["actor"] for entry in audit["entries"]}
    assert actors["publish"] == "erin"
    assert actors["yank"] == "erin"
    removed = [e for e in audit["entries"] if e["kind"] == "permission-remove"]
    assert [(e["actor"], e["detail"]) for e in removed] == [("admin", {"user": "erin"})]
    changes = await ok(api.get(f"{FEEDS}/libs/changes"))
    assert {c["kind"] for c in changes["changes"]} >= {"publish", "yank"}
    versions = await ok(api.get(f"{FEEDS}/libs/packages/erins-lib/versions"))
    assert versions["versions"][0]["files"][0]["uploaded_by"] == "erin"
    # The name is free again; the new account inherits nothing.
    await create_user(api, "erin")
    permissions = await ok(api.get(f"{FEEDS}/libs/permissions"))
    assert "erin" not in [p["username"] for p in permissions]


async def test_self_and_last_admin_are_refused(api: httpx.AsyncClient) -> None:
    for request in (api.post("/_apis/users/admin/disable"), api.delete("/_apis/users/ADMIN")):
        assert_error(await request, 409, "yourself")
    await create_user(api, "root2", admin=True)
    _, secret = await create_token(api, "root2")
    async with client_with(api, secret) as root2:
        # Another administrator may disable the first while one active administrator stays.
        await ok(root2.post("/_apis/users/admin/disable"))
        assert_error(await api.get("/_apis/users/me"), 401, "disabled")
        await ok(root2.post("/_apis/users/admin/enable"))
    assert (await ok(api.get("/_apis/users/me")))["username"] == "admin"


async def test_last_active_admin_rule(api: httpx.AsyncClient) -> None:
    ctx = context_of(api)
    await create_user(api, "root2", admin=True)
    await ok(api.post("/_apis/users/root2/disable"))
    # A principal the server cannot hold in practice (its own admin is disabled) shows
    # the rule beyond "not yourself": the only active administrator cannot be removed.
    other = Principal(user_id=2, username="root2", is_admin=True)
    for action in (accounts.disable_user, accounts.delete_user):
        with pytest.raises(Conflict, match="last active administrator"):
            await action(ctx, other, "admin")


async def test_non_admins_get_403_and_unknown_users_404(api: httpx.AsyncClient) -> None:
    await create_user(api, "target")
    async with await as_new_user(api, "bob") as bob:
        for request in (
            bob.post("/_apis/users/target/disable"),
            bob.post("/_apis/users/target/enable"),
            bob.delete("/_apis/users/target"),
            bob.post("/_apis/users/bob/disable"),
        ):
            assert_error(await request, 403, "administrators")
    for request in (
        api.post("/_apis/users/ghost/disable"),
        api.post("/_apis/users/ghost/enable"),
        api.delete("/_apis/users/ghost"),
    ):
        assert_error(await request, 404, "ghost")
    async with client_with(api, None) as anon:
        assert_error(await anon.delete("/_apis/users/target"), 401)
