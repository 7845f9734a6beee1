"""A feed's settings pages, in process: general, permissions, views, upstream sources.

Every action is checked through the REST API (what the page changed is what clients see);
access, form tokens, confirmations and bad input through the pages' answers.
"""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from tests.http.publishing import make_feed
from tests.http.rest_support import client_with, ok
from tests.http.ui_support import ORIGIN, post_form, sign_in, token_of, user_with_password

FEED = "/acme/_artifacts/feed/libs"
SETTINGS = FEED + "/settings"
REST = "/acme/_apis/packaging/feeds/libs"
PAGES = ["", "/permissions", "/views", "/upstreams"]
# Every form of the settings pages, with fields that would change something.
ACTIONS: list[tuple[str, dict[str, str]]] = [
    ("", {"description": "changed", "visibility": "private"}),
    ("/permissions", {"user": "bob", "role": "owner"}),
    ("/permissions/remove", {"user": "admin"}),
    ("/views", {"name": "qa"}),
    ("/views/rename", {"view": "release", "name": "gold"}),
    ("/views/visibility", {"view": "release", "visibility": "public"}),
    ("/views/delete", {"view": "release"}),
    ("/upstreams", {"name": "pypi", "kind": "pypi"}),
    ("/upstreams/move", {"name": "pypi", "position": "1"}),
    ("/upstreams/remove", {"name": "pypi"}),
]


@asynccontextmanager
async def browser(api: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """Another browser (its own cookies) on the same app."""
    async with client_with(api, None) as client:
        yield client


async def owner(api: httpx.AsyncClient, anon: httpx.AsyncClient) -> httpx.AsyncClient:
    """The private feed acme/libs, and ``anon`` signed in as alice (an administrator)."""
    await make_feed(api, "acme/libs")
    await user_with_password(api)
    assert (await sign_in(anon)).status_code == 303
    return anon


async def rest(api: httpx.AsyncClient, path: str = "") -> Any:
    return await ok(api.get(REST + path))


async def views_of(api: httpx.AsyncClient) -> dict[str, Any]:
    """The feed's views by name, in the REST API's order."""
    return {view["name"]: view for view in await rest(api, "/views")}


async def post(client: httpx.AsyncClient, action: str, fields: dict[str, str]) -> httpx.Response:
    """Post a settings form (confirmed) from the settings page."""
    return await post_form(client, SETTINGS, SETTINGS + action, fields)


async def done(client: httpx.AsyncClient, action: str, fields: dict[str, str]) -> str:
    """Post a settings form (confirmed); it must succeed. Where it sends the browser."""
    answer = await post(client, action, fields)
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


async def ask(client: httpx.AsyncClient, action: str, fields: dict[str, str]) -> httpx.Response:
    """Post a settings form without ``confirmed=yes``: the question it asks, if any."""
    return await post_form(client, SETTINGS, SETTINGS + action, fields, confirmed=False)


def refused(response: httpx.Response, status: int, fragment: str) -> None:
    assert response.status_code == status, response.text
    assert fragment in html.unescape(response.text), response.text


async def test_each_page_renders_for_owners(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await owner(api, anon)
    await user_with_password(api, "carol", admin=False)
    await ok(api.put(REST + "/permissions/carol", json={"role": "owner"}))
    async with browser(api) as carol:
        await sign_in(carol, username="carol")
        for client in (anon, carol):
            for section in PAGES:
                page = await client.get(SETTINGS + section)
                assert page.status_code == 200, page.text
                assert "<h1>Settings of libs</h1>" in page.text
                current = f'href="{SETTINGS}{section}" aria-current="page"'
                assert current in page.text
    views = await anon.get(SETTINGS + "/views")
    assert '<th scope="row">local</th>' in views.text
    people = await anon.get(SETTINGS + "/permissions")
    assert '<th scope="row">carol</th>' in people.text
    # a project's feed has the same pages under /{org}/{project}
    await ok(api.post("/acme/_apis/projects", json={"name": "platform"}), 201)
    await ok(api.post("/acme/platform/_apis/packaging/feeds", json={"name": "tools"}), 201)
    scoped = await anon.get("/acme/platform/_artifacts/feed/tools/settings/upstreams")
    assert scoped.status_code == 200 and "Settings of tools" in scoped.text


async def test_general_form_changes_description_visibility_and_saving(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await owner(api, anon)
    fields = {"description": "Our libraries", "visibility": "public", "readers_can_save": "yes"}
    assert await done(anon, "", fields) == SETTINGS
    feed = await rest(api)
    assert feed["description"] == "Our libraries"
    assert feed["visibility"] == "public" and feed["readers_can_save"] is True
    page = await anon.get(SETTINGS)
    assert "Saved the settings of feed acme/libs." in page.text
    assert "Our libraries</textarea>" in page.text

    # a change of visibility asks first and changes nothing until confirmed
    fields = {"description": "", "visibility": "private", "readers_can_save": "no"}
    asked = await ask(anon, "", fields)
    assert asked.status_code == 200 and "Make feed acme/libs private?" in asked.text
    assert (await rest(api))["visibility"] == "public"
    # without a change of visibility no question: the empty description clears it
    same = {"description": "", "visibility": "public", "readers_can_save": "no"}
    assert (await ask(anon, "", same)).status_code == 303
    feed = await rest(api)
    assert feed["description"] is None and feed["readers_can_save"] is False


async def test_permissions_add_change_remove(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await owner(api, anon)
    await user_with_password(api, "bob", admin=False)
    await done(anon, "/permissions", {"user": "BOB", "role": "reader"})
    assert {"username": "bob", "role": "reader"} in await rest(api, "/permissions")
    assert "bob is now reader of feed acme/libs." in (await anon.get(SETTINGS)).text

    await done(anon, "/permissions", {"user": "bob", "role": "contributor"})
    assert {"username": "bob", "role": "contributor"} in await rest(api, "/permissions")
    page = await anon.get(SETTINGS + "/permissions")
    assert '<option value="contributor" selected>' in page.text

    asked = await ask(anon, "/permissions/remove", {"user": "bob"})
    assert asked.status_code == 200 and "Take bob&#39;s role on feed acme/libs away?" in asked.text
    assert 'name="confirmed" value="yes"' in asked.text
    assert "bob" in [p["username"] for p in await rest(api, "/permissions")]
    await done(anon, "/permissions/remove", {"user": "bob"})
    assert "bob" not in [p["username"] for p in await rest(api, "/permissions")]


async def test_owner_who_gives_up_ownership_lands_on_the_feed_page(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await make_feed(api, "acme/libs")
    await user_with_password(api, "carol", admin=False)
    await ok(api.put(REST + "/permissions/carol", json={"role": "owner"}))
    await sign_in(anon, username="carol")
    assert await done(anon, "/permissions", {"user": "carol", "role": "reader"}) == FEED
    assert (await anon.get(SETTINGS)).status_code == 403


async def test_views_create_rename_visibility_delete(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await owner(api, anon)
    await done(anon, "/views", {"name": "staging", "visibility": ""})
    staging = (await views_of(api))["staging"]
    assert staging["visibility"] is None and staging["versions"] == 0

    asked = await ask(anon, "/views/rename", {"view": "staging", "name": "gold"})
    assert "Rename view staging of feed acme/libs to gold?" in asked.text
    assert "/acme/_packaging/libs@gold/pypi/simple/" in asked.text
    assert "staging" in await views_of(api)
    await done(anon, "/views/rename", {"view": "staging", "name": "gold"})
    assert list(await views_of(api)) == ["local", "gold", "prerelease", "release"]

    change = {"view": "gold", "visibility": "public"}
    asked = await ask(anon, "/views/visibility", change)
    assert "Set the visibility of view gold to public?" in asked.text
    assert (await views_of(api))["gold"]["visibility"] is None
    await done(anon, "/views/visibility", change)
    assert (await views_of(api))["gold"]["effective_visibility"] == "public"
    await done(anon, "/views/visibility", {"view": "gold", "visibility": ""})
    assert (await views_of(api))["gold"]["visibility"] is None

    asked = await ask(anon, "/views/delete", {"view": "gold"})
    assert "Delete view gold of feed acme/libs?" in asked.text
    assert "gold" in await views_of(api)
    await done(anon, "/views/delete", {"view": "gold"})
    assert list(await views_of(api)) == ["local", "prerelease", "release"]


async def test_upstreams_add_move_remove(api: httpx.AsyncClient, anon: httpx.AsyncClient) -> None:
    await owner(api, anon)
    await make_feed(api, "acme/shared")
    sources = [
        {"name": "pypi", "kind": "pypi", "source": ""},
        {"name": "mirror", "kind": "index", "source": "https://example.org/simple"},
        {"name": "shared", "kind": "feed", "source": "acme/shared@local"},
    ]
    for fields in sources:
        await done(anon, "/upstreams", fields)
    listed = await rest(api, "/upstreams")
    assert [item["name"] for item in listed] == ["pypi", "mirror", "shared"]
    assert listed[0]["follows_pypi"] and listed[1]["url"] == "https://example.org/simple/"
    assert listed[2]["feed"] == "acme/shared@local"
    page = await anon.get(SETTINGS + "/upstreams")
    assert "Added upstream source shared (acme/shared@local) at position 3." in page.text
    assert page.text.count("Move up") == 2 and page.text.count("Move down") == 2
    # health: nothing fetched yet from the indexes; a feed here has nothing to fetch
    # (refreshes and errors: tests/http/test_upstreams_health.py)
    assert '<th scope="col">Health</th>' in page.text
    assert page.text.count('Last refresh: <span class="muted">not yet</span>') == 2
    assert page.text.count("A feed here: nothing to fetch.") == 1
    assert [item["health"] for item in listed] == ["unchecked", "unchecked", "local"]

    await done(anon, "/upstreams/move", {"name": "mirror", "position": "1"})
    order = [item["name"] for item in await rest(api, "/upstreams")]
    assert order == ["mirror", "pypi", "shared"]
    await done(anon, "/upstreams/move", {"name": "mirror", "position": "3"})
    assert [item["name"] for item in await rest(api, "/upstreams")][-1] == "mirror"

    asked = await ask(anon, "/upstreams/remove", {"name": "pypi"})
    assert "Remove upstream source pypi from feed acme/libs?" in asked.text
    assert len(await rest(api, "/upstreams")) == 3
    await done(anon, "/upstreams/remove", {"name": "pypi"})
    assert [item["name"] for item in await rest(api, "/upstreams")] == ["shared", "mirror"]


async def state(api: httpx.AsyncClient) -> Any:
    """Everything the settings pages change, as the REST API reports it."""
    return [await rest(api, path) for path in ("", "/permissions", "/views", "/upstreams")]


async def prepare(api: httpx.AsyncClient) -> Any:
    """An upstream source for the forms to act on (views release and prerelease come
    with every feed); the state to compare."""
    await ok(api.post(REST + "/upstreams", json={"name": "pypi", "url": "pypi"}), 201)
    return await state(api)


async def test_reader_and_anonymous_are_refused(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await make_feed(api, "acme/libs", visibility="public")
    await prepare(api)
    for section in PAGES:
        page = await anon.get(SETTINGS + section)
        refused(page, 401, "Authentication required for feed acme/libs.")
        # the error page's own link back here after signing in (not the header's)
        assert "Sign in</a> to see feeds that are not public" in page.text
    await user_with_password(api, "bob", admin=False)
    await ok(api.put(REST + "/permissions/bob", json={"role": "reader"}))
    before = await state(api)
    await sign_in(anon, username="bob")
    for section in PAGES:
        page = await anon.get(SETTINGS + section)
        refused(page, 403, "owner")
    token = token_of((await anon.get(FEED)).text)
    for action, fields in ACTIONS:
        for confirmed in ({}, {"confirmed": "yes"}):
            data = {"form_token": token, **fields, **confirmed}
            answer = await anon.post(SETTINGS + action, data=data, headers={"Origin": ORIGIN})
            refused(answer, 403, "owner")
    assert await state(api) == before


async def test_forms_without_a_token_are_refused(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await owner(api, anon)
    await user_with_password(api, "bob", admin=False)
    before = await prepare(api)
    for action, fields in ACTIONS:
        data = {**fields, "confirmed": "yes"}
        answer = await anon.post(SETTINGS + action, data=data, headers={"Origin": ORIGIN})
        refused(answer, 403, "This form has expired")
        wrong = await anon.post(
            SETTINGS + action, data={**data, "form_token": "x"}, headers={"Origin": ORIGIN}
        )
        assert wrong.status_code == 403
    assert await state(api) == before
    # the same forms with the token do change things: the refusals above were the token's
    await done(anon, "/views", {"name": "qa"})


BAD_INPUT = [
    ("", {"description": "x" * 256}, 400, "Description must be at most 255 characters."),
    ("", {"visibility": "secret"}, 400, "Unknown visibility 'secret'"),
    ("", {"readers_can_save": "maybe"}, 400, "choose yes or no"),
    ("/permissions", {"user": "nobody", "role": "reader"}, 404, "User nobody does not exist."),
    ("/permissions", {"user": "bob", "role": "king"}, 400, "Unknown role 'king'"),
    ("/permissions", {"user": "", "role": "reader"}, 400, "Name the user"),
    ("/permissions/remove", {"user": "nobody"}, 404, "User nobody does not exist."),
    ("/views", {"name": "bad name"}, 400, "View name must not contain whitespace."),
    ("/views", {"name": "local"}, 400, "cannot be created, renamed or deleted"),
    ("/views", {"name": "qa", "visibility": "secret"}, 400, "Unknown visibility"),
    ("/views/rename", {"view": "release", "name": "a/b"}, 400, "View name must not contain /"),
    ("/views/rename", {"view": "missing", "name": "b"}, 404, "View missing does not exist"),
    ("/views/visibility", {"view": "release", "visibility": "all"}, 400, "Unknown visibility"),
    ("/views/delete", {"view": "local"}, 400, "cannot be created, renamed or deleted"),
    (
        "/upstreams",
        {"name": "m", "kind": "index", "source": "ftp://x/"},
        400,
        "Invalid upstream URL",
    ),
    ("/upstreams", {"name": "m", "kind": "index", "source": "a b"}, 400, "must not contain spaces"),
    ("/upstreams", {"name": "m", "kind": "zip", "source": ""}, 400, "Choose what the source is"),
    ("/upstreams", {"name": "_m", "kind": "pypi"}, 400, "Upstream name must not start"),
    ("/upstreams", {"name": "m", "kind": "feed", "source": "acme/nope"}, 404, "acme/nope"),
    ("/upstreams", {"name": "again", "kind": "pypi"}, 409, "already"),
    ("/upstreams/move", {"name": "pypi", "position": "x"}, 400, "Position must be a whole number."),
    ("/upstreams/move", {"name": "pypi", "position": "²"}, 400, "Position must be a whole number."),
    ("/upstreams/move", {"name": "pypi", "position": "9"}, 400, "Position must be between 1 and 1"),
    ("/upstreams/remove", {"name": "nope"}, 404, "nope"),
]


@pytest.mark.parametrize(("action", "fields", "status", "sentence"), BAD_INPUT)
async def test_bad_input_is_refused_with_the_services_sentence(
    api: httpx.AsyncClient,
    anon: httpx.AsyncClient,
    action: str,
    fields: dict[str, str],
    status: int,
    sentence: str,
) -> None:
    await owner(api, anon)
    await user_with_password(api, "bob", admin=False)
    before = await prepare(api)
    refused(await post(anon, action, fields), status, sentence)
    assert await state(api) == before


async def test_a_reader_added_here_can_open_the_feed(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await owner(api, anon)
    await user_with_password(api, "bob", admin=False)
    async with browser(api) as bob:
        await sign_in(bob, username="bob")
        assert (await bob.get(FEED)).status_code == 404
        await done(anon, "/permissions", {"user": "bob", "role": "reader"})
        assert (await bob.get(FEED)).status_code == 200
        await done(anon, "/permissions/remove", {"user": "bob"})
        assert (await bob.get(FEED)).status_code == 404
