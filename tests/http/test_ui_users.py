"""The administrators' users page, in process: who may open it, creating users, setting
passwords, disabling (the user's open session and tokens stop at once), enabling and
deleting, each checked against sign-in and the REST API."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from tests.http.rest_support import client_with, create_token, ok
from tests.http.ui_support import ORIGIN, PASSWORD, post_form, sign_in, user_with_password

USERS = "/_admin/users"
NEW_PASSWORD = "a brand new secret"


@asynccontextmanager
async def browser(api: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """Another browser on the same app, signed in as nobody yet."""
    async with client_with(api, None) as client:
        yield client


async def users_of(api: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    rows: list[dict[str, Any]] = await ok(api.get("/_apis/users"))
    return {row["username"]: row for row in rows}


def cells(html: str, *texts: str) -> bool:
    """Whether a row of the page's table has cells holding ``texts`` in order (the last
    only starts its cell)."""
    parts = [f"<td>{re.escape(text)}</td>" for text in texts[:-1]]
    pattern = r"\s*".join([*parts, f"<td>{re.escape(texts[-1])}"])
    return re.search(pattern, html) is not None


async def signed_in(client: httpx.AsyncClient) -> bool:
    return "Signed in as" in (await client.get("/")).text


async def test_only_administrators_open_the_page_and_post_its_forms(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    anonymous = await anon.get(USERS)
    assert anonymous.status_code == 401
    assert 'href="/_auth/signin?next=/_admin/users"' in anonymous.text
    await user_with_password(api, "bob", admin=False)
    await sign_in(anon, username="bob")
    refused = await anon.get(USERS)
    assert refused.status_code == 403 and "Only server administrators" in refused.text
    assert 'href="/_admin/users"' not in refused.text  # no "Users" link for them
    posts = [
        ("", {"username": "mallory", "password": NEW_PASSWORD, "is_admin": "yes"}),
        ("/password", {"username": "admin", "password": NEW_PASSWORD}),
        ("/disable", {"username": "admin"}),
        ("/enable", {"username": "admin"}),
        ("/delete", {"username": "admin"}),
    ]
    for suffix, fields in posts:
        for confirmed in (False, True):
            answer = await post_form(anon, "/", USERS + suffix, fields, confirmed=confirmed)
            assert answer.status_code == 403, (suffix, confirmed, answer.text)
    users = await users_of(api)
    assert set(users) == {"admin", "bob"} and not users["admin"]["disabled"]


async def test_page_lists_users_with_their_state(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await user_with_password(api)  # alice, an administrator
    await user_with_password(api, "bob", admin=False)
    await ok(api.post("/_apis/users/bob/disable"))
    await sign_in(anon)
    page = await anon.get(USERS)
    assert page.status_code == 200
    text = page.text
    assert 'href="/_admin/users">Users</a>' in text  # the layout's link for administrators
    assert cells(text, "bob", "user", "disabled since")
    assert cells(text, 'alice <span class="muted">(you)</span>', "administrator", "active")
    assert cells(text, "admin", "administrator", "active")
    assert 'aria-label="Enable bob"' in text and 'aria-label="Disable admin"' in text
    assert 'aria-label="Delete alice"' not in text  # not oneself
    chosen = await anon.get(USERS, params={"user": "bob"})
    assert re.search(r'<input id="password-user" name="username" [^>]*value="bob"', chosen.text)


async def test_create_user_who_then_signs_in(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await user_with_password(api)
    await sign_in(anon)
    fields = {"username": "carol", "password": NEW_PASSWORD}
    created = await post_form(anon, USERS, USERS, fields, confirmed=False)
    assert created.status_code == 303 and created.headers["location"] == USERS
    assert "User carol created" in (await anon.get(USERS)).text
    carol = (await users_of(api))["carol"]
    assert carol["is_admin"] is False and carol["disabled"] is False
    async with browser(api) as other:
        assert (await sign_in(other, NEW_PASSWORD, "carol")).status_code == 303
        assert "Signed in as <strong>carol</strong>" in (await other.get("/")).text

    admin = await post_form(anon, USERS, USERS, {"username": "dave", "is_admin": "yes"})
    assert admin.status_code == 303
    assert (await users_of(api))["dave"]["is_admin"] is True
    async with browser(api) as other:  # no password: no sign-in
        assert (await sign_in(other, "", "dave")).status_code == 401


async def test_create_user_refuses_bad_input(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await user_with_password(api)
    await sign_in(anon)
    cases: list[tuple[dict[str, str], int, str]] = [
        ({"username": "bad name!"}, 400, "User name must be"),
        ({"username": ""}, 400, "User name must be"),
        ({"username": "x" * 65}, 400, "User name must be"),
        ({"username": "erin", "password": "short"}, 400, "at least 8 characters"),
        ({"username": "erin", "password": "x" * 2000}, 400, "at most 1024 characters"),
        ({"username": "erin", "password": "tab\there!"}, 400, "control characters"),
        ({"username": "ALICE"}, 409, "already exists"),
    ]
    for fields, status, sentence in cases:
        answer = await post_form(anon, USERS, USERS, fields)
        assert answer.status_code == status, (fields, answer.text)
        assert sentence in answer.text, fields
    assert set(await users_of(api)) == {"admin", "alice"}  # a bad password created nobody
    no_token = await anon.post(USERS, data={"username": "erin"}, headers={"Origin": ORIGIN})
    assert no_token.status_code == 403
    assert "erin" not in await users_of(api)


async def test_reset_password(api: httpx.AsyncClient, anon: httpx.AsyncClient) -> None:
    await user_with_password(api)
    await user_with_password(api, "bob", admin=False)
    await sign_in(anon)
    fields = {"username": "bob", "password": NEW_PASSWORD}
    asked = await post_form(anon, USERS, USERS + "/password", fields, confirmed=False)
    assert asked.status_code == 200 and "Set a new password for bob?" in asked.text
    async with browser(api) as other:
        assert (await sign_in(other, PASSWORD, "bob")).status_code == 303  # unchanged yet
    done = await post_form(anon, USERS, USERS + "/password", fields)
    assert done.status_code == 303
    assert "The password of bob was changed." in (await anon.get(USERS)).text
    async with browser(api) as other:
        assert (await sign_in(other, PASSWORD, "bob")).status_code == 401
        assert (await sign_in(other, NEW_PASSWORD, "bob")).status_code == 303

    short = await post_form(anon, USERS, USERS + "/password", {"username": "bob", "password": "x"})
    assert short.status_code == 400 and "at least 8 characters" in short.text
    unknown = {"username": "nobody", "password": NEW_PASSWORD}
    missing = await post_form(anon, USERS, USERS + "/password", unknown, confirmed=False)
    assert missing.status_code == 404 and "User nobody does not exist." in missing.text
    no_token = await anon.post(
        USERS + "/password", data={**fields, "confirmed": "yes"}, headers={"Origin": ORIGIN}
    )
    assert no_token.status_code == 403


async def test_disable_enable_delete(api: httpx.AsyncClient, anon: httpx.AsyncClient) -> None:
    await user_with_password(api)
    await user_with_password(api, "bob", admin=False)
    _, secret = await create_token(api, "bob")
    await sign_in(anon)
    bob_token = client_with(api, secret)
    async with browser(api) as bob, bob_token:
        assert (await sign_in(bob, PASSWORD, "bob")).status_code == 303
        assert await signed_in(bob)
        assert (await bob_token.get("/_apis/users/me")).status_code == 200

        who = {"username": "bob"}
        asked = await post_form(anon, USERS, USERS + "/disable", who, confirmed=False)
        assert asked.status_code == 200 and "Disable bob?" in asked.text
        assert await signed_in(bob) and not (await users_of(api))["bob"]["disabled"]
        done = await post_form(anon, USERS, USERS + "/disable", who)
        assert done.status_code == 303
        assert (await users_of(api))["bob"]["disabled"] is True
        assert not await signed_in(bob)
        assert (await bob_token.get("/_apis/users/me")).status_code == 401
        assert (await sign_in(bob, PASSWORD, "bob")).status_code in (401, 403)

        asked = await post_form(anon, USERS, USERS + "/enable", who, confirmed=False)
        assert asked.status_code == 200 and "Enable bob again?" in asked.text
        assert (await users_of(api))["bob"]["disabled"] is True
        assert (await post_form(anon, USERS, USERS + "/enable", who)).status_code == 303
        assert (await users_of(api))["bob"]["disabled"] is False
        assert (await bob_token.get("/_apis/users/me")).status_code == 200
        assert (await sign_in(bob, PASSWORD, "bob")).status_code == 303

        asked = await post_form(anon, USERS, USERS + "/delete", who, confirmed=False)
        assert asked.status_code == 200 and "Delete bob for good?" in asked.text
        assert "bob" in await users_of(api)
        assert (await post_form(anon, USERS, USERS + "/delete", who)).status_code == 303
        assert "bob" not in await users_of(api)
        assert "User bob was deleted." in (await anon.get(USERS)).text
        assert not await signed_in(bob)
        assert (await bob_token.get("/_apis/users/me")).status_code == 401


async def test_lifecycle_forms_refuse_bad_input(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await user_with_password(api)
    await sign_in(anon)
    for action in ("/disable", "/enable", "/delete"):
        unknown = await post_form(anon, USERS, USERS + action, {"username": "nobody"})
        assert unknown.status_code == 404 and "User nobody does not exist." in unknown.text
        empty = await post_form(anon, USERS, USERS + action, {})
        assert empty.status_code == 400 and "Give a user name." in empty.text
        no_token = await anon.post(
            USERS + action,
            data={"username": "admin", "confirmed": "yes"},
            headers={"Origin": ORIGIN},
        )
        assert no_token.status_code == 403
    yourself = await post_form(anon, USERS, USERS + "/disable", {"username": "alice"})
    assert yourself.status_code == 409 and "You cannot disable yourself" in yourself.text
    users = await users_of(api)
    assert set(users) == {"admin", "alice"}
    assert not users["admin"]["disabled"] and not users["alice"]["disabled"]
