"""REST: personal access tokens — create, list, revoke, expiry, scopes and feed limits."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import update

from quiver.db.base import utcnow
from quiver.services.accounts.models import Token
from tests.http.publishing import context_of
from tests.http.rest_support import (
    as_new_user,
    assert_error,
    client_with,
    create_feed,
    create_org,
    create_token,
    create_user,
    ok,
)
from tests.support.rest import feed_url

LISTED = {
    "id",
    "name",
    "user",
    "hint",
    "scope",
    "created_at",
    "expires_at",
    "revoked_at",
    "last_used_at",
    "feeds",
}


async def test_create_list_and_revoke(api: httpx.AsyncClient) -> None:
    created = await ok(
        api.post(
            "/_apis/tokens",
            json={"name": "ci", "scope": "packaging:write", "expires_in_days": 30},
        ),
        201,
    )
    secret = created["token"]
    assert secret.startswith("qvr_")
    assert set(created) == LISTED | {"token"}
    assert created["scope"] == "packaging:write"
    assert created["user"] == "admin"
    assert created["hint"] == secret[:8] + "…"
    assert created["expires_at"] is not None
    assert created["feeds"] == []

    async with client_with(api, secret) as ci:
        assert (await ok(ci.get("/_apis/users/me")))["scope"] == "packaging:write"
    listed = await ok(api.get("/_apis/tokens"))
    assert [t["name"] for t in listed] == ["initial admin token", "ci"]
    for token in listed:
        assert set(token) == LISTED
    raw = (await api.get("/_apis/tokens")).text
    assert secret not in raw
    assert secret[8:] not in raw

    assert (await api.delete(f"/_apis/tokens/{created['id']}")).status_code == 204
    async with client_with(api, secret) as ci:
        response = await ci.get("/_apis/users/me")
    assert_error(response, 401, "revoked")
    assert response.headers["www-authenticate"].startswith("Basic")
    listed = await ok(api.get("/_apis/tokens"))
    assert listed[1]["revoked_at"] is not None
    # Revoking again is harmless; unknown ids are 404, malformed ones 400.
    assert (await api.delete(f"/_apis/tokens/{created['id']}")).status_code == 204
    assert_error(await api.delete("/_apis/tokens/999"), 404, "does not exist")
    assert_error(await api.delete("/_apis/tokens/abc"), 400, "token_id")


async def test_bad_token_requests(api: httpx.AsyncClient) -> None:
    cases = [
        ({"name": "x", "scope": "packaging:admin"}, "unknown scope"),
        ({"name": "", "scope": "packaging:read"}, "1-100"),
        ({"name": "x" * 101}, "1-100"),
        ({"name": "x", "expires_in_days": 0}, "1-3650"),
        ({"name": "x", "expires_in_days": 99999}, "1-3650"),
        ({"name": "x", "expires_in_days": "soon"}, "expires_in_days"),
        ({"name": "x", "feeds": ["justone"]}, "invalid feed reference"),
        ({"name": "x", "feeds": ["a/b/c/d"]}, "invalid feed reference"),
        ({"name": "x", "feeds": ["acme/libs@release"]}, "not views"),
        ({"scope": "packaging:read"}, "name"),
        ({"name": "x", "secret": "mine"}, "secret"),
    ]
    for body, fragment in cases:
        assert_error(await api.post("/_apis/tokens", json=body), 400, fragment)
    assert_error(
        await api.post("/_apis/tokens", json={"name": "x", "feeds": ["acme/nope"]}), 404, "acme"
    )
    assert_error(await api.post("/_apis/tokens", json={"name": "x", "user": "ghost"}), 404)


async def test_expired_token_is_refused(api: httpx.AsyncClient) -> None:
    token_id, secret = await create_token(api, name="short")
    async with client_with(api, secret) as short:
        assert (await short.get("/_apis/users/me")).status_code == 200
        ctx = context_of(api)
        async with ctx.sessions() as session, session.begin():
            await session.execute(
                update(Token)
                .where(Token.id == token_id)
                .values(expires_at=utcnow() - timedelta(seconds=1))
            )
        ctx.access.invalidate()
        assert_error(await short.get("/_apis/users/me"), 401, "expired")


async def test_scope_ceilings(api: httpx.AsyncClient) -> None:
    await create_org(api)
    await create_feed(api, "acme/libs")
    _, read_secret = await create_token(api, scope="packaging:read")
    async with client_with(api, read_secret) as reader:
        assert_error(
            await reader.post("/_apis/tokens", json={"name": "up", "scope": "packaging:manage"}),
            403,
            "packaging:read token cannot create a packaging:manage token",
        )
        # Read tokens may still create read tokens.
        await ok(reader.post("/_apis/tokens", json={"name": "same"}), 201)
        # The admin's read token reads the feed but cannot manage it.
        assert (await ok(reader.get(feed_url("acme/libs"))))["your_role"] == "collaborator"
        assert_error(await reader.delete(feed_url("acme/libs")), 403, "owner", "packaging:read")
        assert_error(await reader.patch(feed_url("acme/libs"), json={"visibility": "public"}), 403)
        assert_error(await reader.post("/_apis/organizations", json={"name": "x"}), 403)
        assert_error(await reader.post("/_apis/users", json={"username": "x"}), 403)
    _, write_secret = await create_token(api, scope="packaging:write")
    async with client_with(api, write_secret) as writer:
        assert (await ok(writer.get(feed_url("acme/libs"))))["your_role"] == "contributor"
        assert_error(await writer.delete(feed_url("acme/libs")), 403, "packaging:write")
    assert (await api.get(feed_url("acme/libs"))).status_code == 200


async def test_feed_limited_tokens(api: httpx.AsyncClient) -> None:
    await create_org(api)
    await ok(api.post("/acme/_apis/projects", json={"name": "plat"}), 201)
    await create_feed(api, "acme/libs")
    await create_feed(api, "acme/other")
    await create_feed(api, "acme/plat/tools")
    created = await ok(
        api.post("/_apis/tokens", json={"name": "lim", "feeds": ["ACME/libs", "acme/plat/tools"]}),
        201,
    )
    assert created["feeds"] == ["acme/libs", "acme/plat/tools"]
    async with client_with(api, created["token"]) as limited:
        assert (await limited.get(feed_url("acme/libs"))).status_code == 200
        assert (await limited.get(feed_url("acme/plat/tools"))).status_code == 200
        assert_error(await limited.get(feed_url("acme/other")), 403, "limited to other feeds")
        listed = await ok(limited.get("/acme/_apis/packaging/feeds"))
        assert [f["ref"] for f in listed] == ["acme/libs", "acme/plat/tools"]
        # A token made by a limited token is limited the same way, or more.
        child = await ok(limited.post("/_apis/tokens", json={"name": "child"}), 201)
        assert child["feeds"] == ["acme/libs", "acme/plat/tools"]
        narrower = await ok(
            limited.post("/_apis/tokens", json={"name": "n", "feeds": ["acme/libs"]}), 201
        )
        assert narrower["feeds"] == ["acme/libs"]
        assert_error(
            await limited.post("/_apis/tokens", json={"name": "w", "feeds": ["acme/other"]}), 403
        )
    listed = {t["name"]: t for t in await ok(api.get("/_apis/tokens"))}
    assert listed["lim"]["feeds"] == ["acme/libs", "acme/plat/tools"]


async def test_users_and_their_tokens(api: httpx.AsyncClient) -> None:
    await create_org(api)
    await create_feed(api, "acme/secret")
    await create_user(api, "carol")
    carol_token_id, _ = await create_token(api, "carol", name="for carol")
    async with await as_new_user(api, "bob") as bob:
        mine = await ok(bob.get("/_apis/tokens"))
        assert [(t["user"], t["scope"]) for t in mine] == [("bob", "packaging:manage")]
        assert_error(await bob.get("/_apis/tokens", params={"user": "carol"}), 403)
        assert_error(await bob.post("/_apis/tokens", json={"name": "x", "user": "carol"}), 403)
        # Someone else's token is not there for bob, and a feed he cannot see does not exist.
        assert_error(await bob.delete(f"/_apis/tokens/{carol_token_id}"), 404)
        assert_error(
            await bob.post("/_apis/tokens", json={"name": "x", "feeds": ["acme/secret"]}),
            404,
            "does not exist",
        )
        own = await ok(bob.post("/_apis/tokens", json={"name": "own", "user": "bob"}), 201)
        assert own["user"] == "bob"
        assert (await bob.delete(f"/_apis/tokens/{own['id']}")).status_code == 204
    carol_tokens = await ok(api.get("/_apis/tokens", params={"user": "carol"}))
    assert [t["name"] for t in carol_tokens] == ["for carol"]
    assert_error(await api.get("/_apis/tokens", params={"user": "ghost"}), 404)
    # Administrators may revoke anyone's token.
    assert (await api.delete(f"/_apis/tokens/{carol_token_id}")).status_code == 204
