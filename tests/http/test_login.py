"""Device login over HTTP: start, approve or deny on the page, poll for the token.

The page is driven as a browser drives it: GET the form (cookie + hidden token),
POST it back with an ``Origin`` header.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, update

from quiver.domain.devicecodes import DEVICE_GRANT_TYPE
from quiver.domain.tokens import token_digest
from quiver.services.login.models import DeviceCode
from tests.http.publishing import context_of
from tests.http.rest_support import assert_error, client_with, create_token, create_user, ok
from tests.http.ui_support import sign_in, token_of

ORIGIN = "http://quiver.test"
PASSWORD = "correct horse battery"


async def user_with_password(api: httpx.AsyncClient, name: str = "alice") -> None:
    await create_user(api, name)
    put = await api.put(f"/_apis/users/{name}/password", json={"password": PASSWORD})
    assert put.status_code == 204, put.text


async def start(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    started: dict[str, Any] = await ok(client.post("/_apis/auth/device", json=body))
    return started


async def poll(
    client: httpx.AsyncClient, device_code: str, *, form: bool = False
) -> httpx.Response:
    fields = {"grant_type": DEVICE_GRANT_TYPE, "device_code": device_code}
    if form:
        return await client.post("/_apis/auth/token", data=fields)
    return await client.post("/_apis/auth/token", json=fields)


def grant_error(response: httpx.Response, error: str) -> str:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == error, body
    assert set(body) == {"error", "message"}
    assert response.headers["cache-control"] == "no-store"
    message: str = body["message"]
    return message


async def form_token(browser: httpx.AsyncClient, code: str = "") -> tuple[httpx.Response, str]:
    """GET the page (setting the form cookie); the page and its hidden form token."""
    page = await browser.get("/_auth/device", params={"code": code} if code else None)
    found = re.search(r'name="form_token" value="([^"]+)"', page.text)
    assert found, page.text
    return page, found.group(1)


async def submit(
    browser: httpx.AsyncClient,
    code: str,
    *,
    action: str = "approve",
    username: str = "alice",
    password: str = PASSWORD,
    headers: dict[str, str] | None = None,
    token: str | None = None,
) -> httpx.Response:
    """POST the form as a browser would, with a fresh form token unless one is given."""
    if token is None:
        _, token = await form_token(browser)
    fields = {"code": code, "username": username, "password": password, "action": action}
    fields["form_token"] = token
    return await browser.post(
        "/_auth/device", data=fields, headers={"Origin": ORIGIN} if headers is None else headers
    )


async def test_full_flow(api: httpx.AsyncClient, anon: httpx.AsyncClient) -> None:
    await user_with_password(api)
    started = await start(anon, scope="packaging:read", expires_in_days=7, client_name="laptop")
    code = started["user_code"]
    assert re.fullmatch(r"[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}", code)
    assert started["verification_uri"] == "http://quiver.test/_auth/device"
    assert started["verification_uri_complete"] == f"http://quiver.test/_auth/device?code={code}"
    assert (started["expires_in"], started["interval"]) == (600, 5)
    grant_error(await poll(anon, started["device_code"]), "authorization_pending")

    page, _ = await form_token(anon, code)
    assert page.status_code == 200
    assert page.headers["x-frame-options"] == "DENY"
    for shown in ("laptop", "packaging:read", "7 days", code):
        assert shown in page.text
    approved = await submit(anon, code.lower().replace("-", ""))
    assert approved.status_code == 200, approved.text
    assert "You can return to your terminal." in approved.text

    granted = await poll(anon, started["device_code"], form=True)
    assert granted.status_code == 200, granted.text
    assert granted.headers["cache-control"] == "no-store"
    body = granted.json()
    assert set(body) == {"access_token", "token_type", "scope", "expires_at", "username"}
    assert (body["token_type"], body["scope"], body["username"]) == (
        "Bearer",
        "packaging:read",
        "alice",
    )
    lifetime = datetime.fromisoformat(body["expires_at"]) - datetime.now(UTC)
    assert timedelta(days=6, hours=23) < lifetime <= timedelta(days=7)
    async with client_with(api, body["access_token"]) as alice:
        me = await ok(alice.get("/_apis/users/me"))
        assert (me["username"], me["scope"]) == ("alice", "packaging:read")
    (listed,) = await ok(api.get("/_apis/tokens", params={"user": "alice"}))
    assert listed["name"] == "quiver login: laptop"

    message = grant_error(await poll(anon, started["device_code"]), "invalid_grant")
    assert "used already" in message
    async with context_of(api).sessions() as session:
        row = await session.scalar(select(DeviceCode))
    assert row is not None
    assert row.digest == token_digest(started["device_code"])
    assert (row.status, row.token_id) == ("consumed", listed["id"])
    assert started["device_code"] not in {str(v) for v in vars(row).values()}


async def test_deny(api: httpx.AsyncClient, anon: httpx.AsyncClient) -> None:
    await user_with_password(api)
    started = await start(anon)
    denied = await submit(anon, started["user_code"], action="deny")
    assert denied.status_code == 200
    assert "Denied" in denied.text
    grant_error(await poll(anon, started["device_code"]), "access_denied")
    again = await submit(anon, started["user_code"])
    assert again.status_code == 409
    assert "denied already" in again.text
    assert await ok(api.get("/_apis/tokens", params={"user": "alice"})) == []


async def test_expired_code(api: httpx.AsyncClient, anon: httpx.AsyncClient) -> None:
    await user_with_password(api)
    started = await start(anon)
    async with context_of(api).sessions() as session, session.begin():
        past = datetime.now(UTC) - timedelta(seconds=1)
        await session.execute(update(DeviceCode).values(expires_at=past))
    grant_error(await poll(anon, started["device_code"]), "expired_token")
    page, _ = await form_token(anon, started["user_code"])
    assert page.status_code == 404
    assert "unknown or has expired" in page.text
    late = await submit(anon, started["user_code"])
    assert late.status_code == 404
    assert "unknown or has expired" in late.text
    unknown = await submit(anon, "BBBB-BBBB")
    assert unknown.status_code == 404


async def test_wrong_password_says_not_which(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await user_with_password(api)
    await create_user(api, "nopass")  # a user without a password cannot sign in
    started = await start(anon)
    answers = [
        await submit(anon, started["user_code"], password="wrong password"),
        await submit(anon, started["user_code"], username="mallory"),
        await submit(anon, started["user_code"], username="nopass", password=PASSWORD),
    ]
    for answer in answers:
        assert answer.status_code == 401, answer.text
        assert "Wrong username or password." in answer.text
        assert "www-authenticate" not in answer.headers
        assert PASSWORD not in answer.text
    grant_error(await poll(anon, started["device_code"]), "authorization_pending")
    assert await ok(api.get("/_apis/tokens", params={"user": "alice"})) == []


async def test_polling_too_fast(anon: httpx.AsyncClient) -> None:
    started = await start(anon)
    grant_error(await poll(anon, started["device_code"]), "authorization_pending")
    message = grant_error(await poll(anon, started["device_code"]), "slow_down")
    assert "5 s" in message


async def test_form_needs_same_origin_and_token(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await user_with_password(api)
    started = await start(anon)
    code = started["user_code"]
    _, good = await form_token(anon)
    for headers, status in (
        ({"Origin": "https://evil.example"}, 403),
        ({"Referer": "https://evil.example/page"}, 403),
        ({"Origin": "null"}, 403),
    ):
        refused = await submit(anon, code, headers=headers, token=good)
        assert refused.status_code == status, refused.text
    missing = await submit(anon, code, token="")
    assert missing.status_code == 400
    assert "form has expired" in missing.text
    forged = await submit(anon, code, token="1700000000." + "0" * 64)
    assert forged.status_code == 400
    anon.cookies.clear()  # the token is bound to the page's cookie
    assert (await submit(anon, code, token=good)).status_code == 400
    bad_action = await submit(anon, code, action="steal")
    assert bad_action.status_code == 400
    grant_error(await poll(anon, started["device_code"]), "authorization_pending")
    # A browser that sends no Origin (an old one) is let through by the token alone.
    assert (await submit(anon, code, headers={})).status_code == 200


async def test_failed_sign_ins_are_limited(api: httpx.AsyncClient, anon: httpx.AsyncClient) -> None:
    await user_with_password(api)
    await user_with_password(api, "bob")
    started = await start(anon)
    code = started["user_code"]
    for _ in range(10):
        assert (await submit(anon, code, password="not it at all")).status_code == 401
    limited = await submit(anon, code)  # even the right password now waits
    assert limited.status_code == 429
    assert "Too many failed sign-ins" in limited.text
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert (await submit(anon, code, username="bob")).status_code == 200  # another user


async def test_bad_requests(anon: httpx.AsyncClient) -> None:
    for body, fragment in (
        ({"scope": "admin"}, "unknown scope"),
        ({"expires_in_days": 0}, "1-3650"),
        ({"expires_in_days": 3651}, "1-3650"),
        ({"client_name": "x" * 101}, "client_name"),
        ({"client_name": "a\x00b"}, "NUL"),  # refused by quiver.api.input_guard
        ({"surprise": 1}, "surprise"),
    ):
        assert_error(await anon.post("/_apis/auth/device", json=body), 400, fragment)
    assert (await anon.post("/_apis/auth/device")).status_code == 200  # all defaults

    token = "/_apis/auth/token"
    wrong_grant = await anon.post(token, json={"grant_type": "password", "device_code": "x"})
    grant_error(wrong_grant, "unsupported_grant_type")
    grant_error(await anon.post(token, json={"grant_type": DEVICE_GRANT_TYPE}), "invalid_request")
    grant_error(await anon.post(token, content=b"[1, 2]"), "invalid_request")
    grant_error(await anon.post(token, content=b"not json"), "invalid_request")
    grant_error(await poll(anon, "made-up"), "invalid_grant")


async def test_default_scope_is_write(api: httpx.AsyncClient, anon: httpx.AsyncClient) -> None:
    await user_with_password(api)
    started = await start(anon)
    page, _ = await form_token(anon, started["user_code"])
    assert "packaging:write" in page.text
    assert "90 days" in page.text
    assert "quiver CLI" in page.text
    assert (await submit(anon, started["user_code"])).status_code == 200
    granted = (await poll(anon, started["device_code"])).json()
    assert granted["scope"] == "packaging:write"


async def test_set_password(api: httpx.AsyncClient, anon: httpx.AsyncClient) -> None:
    await create_user(api, "alice")
    await create_user(api, "bob")
    url = "/_apis/users/alice/password"
    for password, fragment in (("short", "at least 8"), ("x" * 1025, "at most 1024")):
        message = assert_error(await api.put(url, json={"password": password}), 400, fragment)
        assert password not in message
    assert_error(await api.put(url, json={"password": "\n" * 9}), 400, "whitespace")
    assert_error(await api.put(url, json={}), 400, "password")
    assert_error(await api.put("/_apis/users/nobody/password", json={"password": PASSWORD}), 404)
    assert_error(await anon.put(url, json={"password": PASSWORD}), 401)
    assert (await api.put(url, json={"password": PASSWORD})).status_code == 204

    _, manage = await create_token(api, "alice", scope="packaging:manage")
    _, write = await create_token(api, "alice", scope="packaging:write")
    async with client_with(api, manage) as alice, client_with(api, write) as alice_write:
        own = await alice.put("/_apis/users/ALICE/password", json={"password": "a new one!"})
        assert own.status_code == 204
        other = await alice.put("/_apis/users/bob/password", json={"password": PASSWORD})
        assert_error(other, 403, "administrators")
        limited = await alice_write.put(url, json={"password": PASSWORD})
        assert_error(limited, 403, "packaging:manage")


async def test_openapi_documents_the_api_not_the_page(anon: httpx.AsyncClient) -> None:
    doc = await ok(anon.get("/_apis/openapi.json"))
    for documented in (
        "/_apis/auth/device",
        "/_apis/auth/token",
        "/_apis/users/{username}/password",
    ):
        assert documented in doc["paths"], documented
    assert "/_auth/device" not in doc["paths"]
    token = doc["paths"]["/_apis/auth/token"]["post"]
    assert set(token["requestBody"]["content"]) == {
        "application/json",
        "application/x-www-form-urlencoded",
    }


async def test_signed_in_user_approves_with_one_click(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await user_with_password(api)
    assert (await sign_in(anon)).status_code == 303
    started = await start(anon, client_name="desk")
    code = started["user_code"]
    page = await anon.get("/_auth/device", params={"code": code})
    assert page.status_code == 200
    assert "for your account, <strong>alice</strong>" in page.text
    assert 'name="password"' not in page.text
    assert "Signed in as <strong>alice</strong>" in page.text  # the site's layout

    # The session's form token is needed: none, or a sign-in form's, is refused.
    fields = {"code": code, "action": "approve"}
    refused = await anon.post("/_auth/device", data=fields, headers={"Origin": ORIGIN})
    assert refused.status_code == 400
    elsewhere = await anon.post(
        "/_auth/device",
        data={**fields, "form_token": token_of(page.text)},
        headers={"Origin": "https://evil.example"},
    )
    assert elsewhere.status_code == 403
    grant_error(await poll(anon, started["device_code"]), "authorization_pending")

    approved = await anon.post(
        "/_auth/device",
        data={**fields, "form_token": token_of(page.text)},
        headers={"Origin": ORIGIN},
    )
    assert approved.status_code == 200, approved.text
    assert "You can return to your terminal." in approved.text
    granted = await poll(anon, started["device_code"])
    assert granted.status_code == 200, granted.text
    assert granted.json()["username"] == "alice"
