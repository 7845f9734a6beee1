"""REST: personal access tokens — create, list, revoke, expiry, scopes and feed limits."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from sqlalchemy import update

from quiver.db.base import utcnow
from quiver.services.tokens.models import Token
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
        api.post(
            "/_apis/tokens",
            json={
                "name": "lim",
                "scope": "packaging:manage",
                "feeds": ["ACME/libs", "acme/plat/tools"],
            },
        ),
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


async def test_managing_tokens_needs_manage_scope(api: httpx.AsyncClient) -> None:
    """Issue 11 #4: a read token created tokens and revoked another write token."""
    victim_id, victim = await create_token(api, scope="packaging:write", name="victim")
    for scope in ("packaging:read", "packaging:write"):
        own_id, secret = await create_token(api, scope=scope, name=scope)
        async with client_with(api, secret) as token:
            for made in (
                await token.post("/_apis/tokens", json={"name": "x", "scope": "packaging:read"}),
                await token.post("/_apis/tokens", json={"name": "x", "user": "admin"}),
            ):
                assert_error(made, 403, "packaging:manage")
                assert "quiver " not in made.json()["message"]  # the CLI adds its own hint
            assert_error(await token.get("/_apis/tokens"), 403, "packaging:manage")
            assert_error(await token.delete(f"/_apis/tokens/{victim_id}"), 403, "packaging:manage")
            # A token may always revoke itself (quiver logout --revoke).
            assert (await token.delete(f"/_apis/tokens/{own_id}")).status_code == 204
            assert_error(await token.get("/_apis/users/me"), 401, "revoked")
    async with client_with(api, victim) as still:
        assert (await still.get("/_apis/users/me")).status_code == 200
    names = [t["name"] for t in await ok(api.get("/_apis/tokens"))]
    assert "x" not in names


def _when(text: str | None) -> datetime:
    assert text is not None
    return datetime.fromisoformat(text)


async def test_a_token_never_outlives_its_creator(api: httpx.AsyncClient) -> None:
    """Issue 11 #4: a token that expires tomorrow created one that never expires."""
    await create_user(api, "bob")
    short = await ok(
        api.post(
            "/_apis/tokens",
            json={"name": "short", "scope": "packaging:manage", "expires_in_days": 1},
        ),
        201,
    )
    limit = _when(short["expires_at"])
    async with client_with(api, short["token"]) as creator:
        for body in (
            {"name": "forever"},
            {"name": "longer", "expires_in_days": 30},
            {"name": "for bob", "user": "bob", "expires_in_days": 3650},
        ):
            made = await ok(creator.post("/_apis/tokens", json=body), 201)
            assert made["expires_at"] is not None, body
            assert _when(made["expires_at"]) == limit, body
        # A shorter lifetime than the creator's stays as asked.
        made = await ok(
            creator.post("/_apis/tokens", json={"name": "brief", "expires_in_days": 1}), 201
        )
        assert _when(made["expires_at"]) <= limit
    # An administrator's token without an expiry still makes tokens that never expire.
    assert (await ok(api.post("/_apis/tokens", json={"name": "n"}), 201))["expires_at"] is None


async def test_a_limited_token_manages_only_tokens_within_its_feeds(
    api: httpx.AsyncClient,
) -> None:
    await create_org(api)
    await create_feed(api, "acme/libs")
    await create_feed(api, "acme/other")
    wide_id, wide = await create_token(api, name="wide")
    other_id, _ = await create_token(api, name="other", feeds=["acme/other"])
    lim_id, lim = await create_token(api, name="lim", feeds=["acme/libs"])
    async with client_with(api, lim) as limited:
        child = await ok(limited.post("/_apis/tokens", json={"name": "child"}), 201)
        listed = [t["name"] for t in await ok(limited.get("/_apis/tokens"))]
        assert listed == ["lim", "child"]
        for beyond in (wide_id, other_id):
            assert_error(await limited.delete(f"/_apis/tokens/{beyond}"), 403, "limited")
        assert (await limited.delete(f"/_apis/tokens/{child['id']}")).status_code == 204
        assert (await limited.delete(f"/_apis/tokens/{lim_id}")).status_code == 204
    async with client_with(api, wide) as still:
        assert (await still.get("/_apis/users/me")).status_code == 200
