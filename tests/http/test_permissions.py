"""The permission matrix: every role and anonymous × list, download, publish, manage,
on private, organization and public feeds; token scopes capping roles; and the rule that
a feed keeps at least one owner (REST and the settings page; the CLI:
tests/e2e/test_permissions_cli.py)."""

from __future__ import annotations

import html
from pathlib import Path

import httpx
import pytest

from tests.http.publishing import form_for, upload_url
from tests.http.rest_support import (
    assert_error,
    client_with,
    create_feed,
    create_org,
    create_token,
    create_user,
    ok,
)
from tests.http.ui_support import post_form, sign_in, user_with_password
from tests.support.dists import build_wheel

ROLES = ("reader", "collaborator", "contributor", "owner")
WHO = ("anonymous", "outsider", "member", *ROLES, "admin")
RANK = {
    "anonymous": 0,
    "outsider": 0,
    "member": 0,
    **{r: i + 1 for i, r in enumerate(ROLES)},
    "admin": 9,
}


def expected(who: str, visibility: str, needed: int) -> int:
    """The status the matrix promises: 2xx, or 401 / 404 / 403 as DESIGN.md specifies."""
    reads = (
        RANK[who] >= 1
        or visibility == "public"
        or (visibility == "organization" and who == "member")
    )
    rank = max(RANK[who], 1 if reads else 0)
    if who == "anonymous":
        rank = 1 if visibility == "public" else 0
    if rank >= needed:
        return 200
    if who == "anonymous":
        return 401
    return 403 if reads else 404


async def _setup(api: httpx.AsyncClient, visibility: str, wheel: Path) -> dict[str, str]:
    assert (await api.post("/_apis/organizations", json={"name": "acme"})).status_code == 201
    created = await api.post(
        "/acme/_apis/packaging/feeds", json={"name": "libs", "visibility": visibility}
    )
    assert created.status_code == 201, created.text
    tokens = {"admin": api.headers["authorization"].removeprefix("Bearer ")}
    for who in WHO[1:-1]:
        assert (await api.post("/_apis/users", json={"username": who})).status_code == 201
        if who == "member":
            added = await api.put(
                "/_apis/organizations/acme/members/member", json={"role": "member"}
            )
            assert added.status_code in (200, 201), added.text
        elif who in ROLES:
            granted = await api.put(
                f"/acme/_apis/packaging/feeds/libs/permissions/{who}", json={"role": who}
            )
            assert granted.status_code in (200, 201), granted.text
        made = await api.post(
            "/_apis/tokens", json={"name": "t", "scope": "packaging:manage", "user": who}
        )
        tokens[who] = made.json()["token"]
    published = await api.post(
        upload_url("acme/libs"),
        data=form_for(wheel),
        files={"content": (wheel.name, wheel.read_bytes())},
    )
    assert published.status_code == 200, published.text
    return tokens


def _auth(tokens: dict[str, str], who: str) -> dict[str, str]:
    return {} if who == "anonymous" else {"Authorization": f"Bearer {tokens[who]}"}


@pytest.mark.parametrize("visibility", ["private", "organization", "public"])
async def test_permission_matrix(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, tmp_path: Path, visibility: str
) -> None:
    wheel = build_wheel(tmp_path, "pkg", "1.0")
    tokens = await _setup(api, visibility, wheel)
    simple = "/acme/_packaging/libs/pypi/simple/"
    failures = []
    for n, who in enumerate(WHO):
        headers = _auth(tokens, who)
        fresh = build_wheel(tmp_path / who, "pkg", f"2.{n}")
        actions = {
            "list": (anon.get(simple, headers=headers), 1),
            "download": (anon.get(f"{simple}pkg/{wheel.name}", headers=headers), 1),
            "publish": (
                anon.post(
                    upload_url("acme/libs"),
                    data=form_for(fresh),
                    files={"content": (fresh.name, fresh.read_bytes())},
                    headers=headers,
                ),
                3,
            ),
            "manage": (
                anon.patch(
                    "/acme/_apis/packaging/feeds/libs", json={"description": who}, headers=headers
                ),
                4,
            ),
        }
        for action, (request, needed) in actions.items():
            response = await request
            want = expected(who, visibility, needed)
            got = response.status_code
            if (got if want != 200 else got // 100 * 100) != want:
                failures.append(f"{who} {action}: want {want}, got {got} {response.text[:120]}")
            if got == 401:
                assert response.headers["www-authenticate"].startswith("Basic")
            if got in (403, 404):
                assert response.json()["message"]
    assert not failures, "\n".join(failures)


async def test_token_scope_caps_the_role(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, tmp_path: Path
) -> None:
    wheel = build_wheel(tmp_path, "pkg", "1.0")
    tokens = await _setup(api, "private", wheel)
    read = (
        await api.post(
            "/_apis/tokens", json={"name": "r", "scope": "packaging:read", "user": "owner"}
        )
    ).json()["token"]
    write = (
        await api.post(
            "/_apis/tokens", json={"name": "w", "scope": "packaging:write", "user": "owner"}
        )
    ).json()["token"]
    fresh = build_wheel(tmp_path / "fresh", "pkg", "3.0")

    async def publish(token: str) -> httpx.Response:
        return await anon.post(
            upload_url("acme/libs"),
            data=form_for(fresh),
            files={"content": (fresh.name, fresh.read_bytes())},
            headers={"Authorization": f"Bearer {token}"},
        )

    refused = await publish(read)
    assert refused.status_code == 403
    assert "packaging:read" in refused.json()["message"]
    manage = await anon.patch(
        "/acme/_apis/packaging/feeds/libs",
        json={"description": "x"},
        headers={"Authorization": f"Bearer {write}"},
    )
    assert manage.status_code == 403
    assert (await publish(write)).status_code == 200
    assert tokens["owner"]


LAST_OWNER = "A feed needs at least one owner: make someone else owner first."
PERMISSIONS = "/acme/_apis/packaging/feeds/libs/permissions"


async def _roles(api: httpx.AsyncClient) -> dict[str, str]:
    return {p["username"]: p["role"] for p in await ok(api.get(PERMISSIONS))}


async def test_the_last_owner_cannot_be_removed_or_lowered(api: httpx.AsyncClient) -> None:
    """For everyone, administrators included; org owners and disabled owners do not count."""
    await create_org(api)
    await create_feed(api)  # its creator, the admin user, is its one owner
    for who in ("carol", "dave", "erin"):
        await create_user(api, who)
    assert_error(await api.delete(f"{PERMISSIONS}/admin"), 409, LAST_OWNER)
    for lower in ("reader", "contributor"):
        refused = await api.put(f"{PERMISSIONS}/admin", json={"role": lower})
        assert_error(refused, 409, LAST_OWNER)
    assert await _roles(api) == {"admin": "owner"}
    # giving the owner role again changes nothing and is fine
    await ok(api.put(f"{PERMISSIONS}/admin", json={"role": "owner"}))

    # With a second owner either may go; then the remaining one is the last.
    await ok(api.put(f"{PERMISSIONS}/carol", json={"role": "owner"}))
    await ok(api.put(f"{PERMISSIONS}/admin", json={"role": "reader"}))
    async with client_with(api, (await create_token(api, "carol"))[1]) as carol:
        assert_error(await carol.delete(f"{PERMISSIONS}/carol"), 409, LAST_OWNER)
        assert_error(await carol.put(f"{PERMISSIONS}/carol", json={"role": "reader"}), 409)
        await ok(carol.put(f"{PERMISSIONS}/admin", json={"role": "collaborator"}))
        assert (await carol.delete(f"{PERMISSIONS}/admin")).status_code == 204
    # a server administrator is refused too (and is no owner of the feed for this rule)
    assert_error(await api.delete(f"{PERMISSIONS}/carol"), 409, LAST_OWNER)

    # An owner of the organization holds no role on its feeds: not an owner here.
    await ok(api.put("/_apis/organizations/acme/members/dave", json={"role": "owner"}))
    assert_error(await api.delete(f"{PERMISSIONS}/carol"), 409, LAST_OWNER)
    # A disabled owner manages nothing: not an owner here until enabled again.
    await ok(api.put(f"{PERMISSIONS}/erin", json={"role": "owner"}))
    await ok(api.post("/_apis/users/erin/disable"))
    assert_error(await api.delete(f"{PERMISSIONS}/carol"), 409, LAST_OWNER)
    assert await _roles(api) == {"carol": "owner", "erin": "owner"}
    await ok(api.post("/_apis/users/erin/enable"))
    assert (await api.delete(f"{PERMISSIONS}/carol")).status_code == 204
    assert await _roles(api) == {"erin": "owner"}
    # roles below owner come and go as before
    await ok(api.put(f"{PERMISSIONS}/dave", json={"role": "reader"}))
    assert (await api.delete(f"{PERMISSIONS}/dave")).status_code == 204


async def test_the_settings_page_shows_the_last_owner_sentence(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await create_org(api)
    await create_feed(api)
    await user_with_password(api)  # alice, a server administrator
    await sign_in(anon)
    settings = "/acme/_artifacts/feed/libs/settings/permissions"
    for action, fields in (
        ("/remove", {"user": "admin"}),
        ("", {"user": "admin", "role": "reader"}),
    ):
        answer = await post_form(anon, settings, settings + action, fields)
        assert answer.status_code == 409, answer.text
        assert LAST_OWNER in html.unescape(answer.text)
    assert await _roles(api) == {"admin": "owner"}
