"""The organization and project pages, in process: what they list to whom, and the owners'
forms (members, projects, feeds) checked against what the REST API then reports."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from tests.http.rest_support import client_with, create_feed, create_org, ok
from tests.http.ui_support import ORIGIN, post_form, sign_in, user_with_password

MEMBERS = "/_apis/organizations/acme/members"


@asynccontextmanager
async def browser(
    api: httpx.AsyncClient, name: str, *, admin: bool = False
) -> AsyncIterator[httpx.AsyncClient]:
    """A browser of its own on the app, signed in as the new user ``name``."""
    await user_with_password(api, name, admin=admin)
    async with client_with(api, None) as client:
        assert (await sign_in(client, username=name)).status_code == 303
        yield client


def member_row(html: str, user: str, role: str) -> bool:
    """Whether the page's members table has ``user`` with ``role``."""
    return re.search(rf"<td>{user}</td>\s*<td>{role}</td>", html) is not None


async def members_of(api: httpx.AsyncClient) -> dict[str, str]:
    rows: list[dict[str, Any]] = await ok(api.get(MEMBERS))
    return {row["username"]: row["role"] for row in rows}


async def acme(api: httpx.AsyncClient) -> None:
    """acme: a project, a feed shared with members, a private one, a private project feed."""
    await create_org(api)
    await ok(api.post("/acme/_apis/projects", json={"name": "platform"}), 201)
    await create_feed(api, "acme/shared", visibility="organization")
    await create_feed(api, "acme/hidden")
    await create_feed(api, "acme/platform/tools")


async def test_org_page_lists_projects_feeds_and_members(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await acme(api)
    await user_with_password(api)  # alice, an administrator
    await sign_in(anon)
    page = await anon.get("/acme")
    assert page.status_code == 200
    text = page.text
    assert '<a href="/acme/platform">platform</a>' in text
    for feed in ("shared", "hidden"):
        assert f'href="/acme/_artifacts/feed/{feed}"' in text
    assert 'href="/acme/platform/_artifacts/feed/tools"' in text
    assert member_row(text, "admin", "owner")
    assert 'action="/acme/_members/remove"' in text and 'action="/acme/_feeds"' in text
    project = await anon.get("/ACME/Platform")
    assert project.status_code == 200
    assert 'href="/acme/platform/_artifacts/feed/tools"' in project.text
    assert 'href="/acme/_artifacts/feed/shared"' not in project.text
    assert 'action="/acme/platform/_feeds"' in project.text

    async with browser(api, "bob") as bob:
        await ok(api.put(MEMBERS + "/bob", json={"role": "member"}))
        seen = (await bob.get("/acme")).text
        assert 'href="/acme/_artifacts/feed/shared"' in seen
        assert "feed/hidden" not in seen and "feed/tools" not in seen
        assert member_row(seen, "bob", "member")
        # A member sees who else is in; only owners get the forms.
        assert 'action="/acme/_members' not in seen and 'action="/acme/_feeds"' not in seen
        project_seen = await bob.get("/acme/platform")
        assert project_seen.status_code == 200
        assert "No feeds you can read in this project." in project_seen.text


async def test_who_may_see_an_organization(api: httpx.AsyncClient, anon: httpx.AsyncClient) -> None:
    await acme(api)
    private = await anon.get("/acme")
    assert private.status_code == 401
    assert 'href="/_auth/signin?next=/acme"' in private.text
    assert (await anon.get("/acme/platform")).status_code == 401
    assert (await anon.get("/nope")).status_code == 404
    assert (await anon.get("/acme/nope")).status_code == 404

    await create_feed(api, "acme/open", visibility="public")
    public = await anon.get("/acme")
    assert public.status_code == 200
    assert 'href="/acme/_artifacts/feed/open"' in public.text
    assert "feed/shared" not in public.text and 'id="members"' not in public.text

    async with browser(api, "eve") as eve:  # signed in, not a member
        seen = await eve.get("/acme")
        assert seen.status_code == 200 and 'id="members"' not in seen.text
        assert "feed/shared" not in seen.text
        assert (await eve.get("/acme/platform")).status_code == 404
        assert (await eve.get("/nope")).status_code == 404


async def test_other_pages_keep_their_paths(anon: httpx.AsyncClient) -> None:
    css = await anon.get("/_static/quiver.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    signin = await anon.get("/_auth/signin")
    assert signin.status_code == 200 and 'name="password"' in signin.text
    assert (await anon.get("/_admin/users")).status_code == 401
    # Paths no organization can have stay the API's JSON 404.
    for path in ("/_nothing", "/_apis/nothing"):
        missing = await anon.get(path)
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("application/json"), path


async def test_owner_adds_changes_and_removes_members(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await acme(api)
    await user_with_password(api, "bob", admin=False)
    await user_with_password(api)
    await sign_in(anon)

    added = await post_form(anon, "/acme", "/acme/_members", {"username": "bob", "role": "member"})
    assert added.status_code == 303 and added.headers["location"] == "/acme"
    assert "bob is now a member of acme." in (await anon.get("/acme")).text
    assert (await members_of(api))["bob"] == "member"

    changed = await post_form(anon, "/acme", "/acme/_members", {"username": "bob", "role": "owner"})
    assert changed.status_code == 303
    assert (await members_of(api))["bob"] == "owner"

    asked = await post_form(
        anon, "/acme", "/acme/_members/remove", {"username": "bob"}, confirmed=False
    )
    assert asked.status_code == 200 and "Remove bob from acme?" in asked.text
    assert "bob" in await members_of(api)
    removed = await post_form(anon, "/acme", "/acme/_members/remove", {"username": "bob"})
    assert removed.status_code == 303
    assert "bob" not in await members_of(api)


async def test_member_forms_refuse_bad_input(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await acme(api)
    await user_with_password(api, "bob", admin=False)
    await user_with_password(api)
    await sign_in(anon)
    bad_role = await post_form(anon, "/acme", "/acme/_members", {"username": "bob", "role": "god"})
    assert bad_role.status_code == 400 and "Unknown organization role" in bad_role.text
    unknown = await post_form(anon, "/acme", "/acme/_members", {"username": "nobody"})
    assert unknown.status_code == 404 and "User nobody does not exist." in unknown.text
    empty = await post_form(anon, "/acme", "/acme/_members", {"username": " "})
    assert empty.status_code == 400 and "Give the user name" in empty.text
    not_member = await post_form(
        anon, "/acme", "/acme/_members/remove", {"username": "bob"}, confirmed=False
    )
    assert not_member.status_code == 404 and "bob is not a member of acme." in not_member.text
    no_org = await post_form(anon, "/acme", "/nope/_members", {"username": "bob"})
    assert no_org.status_code == 404
    no_token = await anon.post(
        "/acme/_members", data={"username": "bob", "role": "member"}, headers={"Origin": ORIGIN}
    )
    assert no_token.status_code == 403
    assert "bob" not in await members_of(api)


async def test_members_cannot_manage_and_owners_can(api: httpx.AsyncClient) -> None:
    await acme(api)
    async with browser(api, "bob") as bob:
        await ok(api.put(MEMBERS + "/bob", json={"role": "member"}))
        await user_with_password(api, "carol", admin=False)
        refused = await post_form(bob, "/acme", "/acme/_members", {"username": "carol"})
        assert refused.status_code == 403 and "owner" in refused.text
        unasked = await post_form(
            bob, "/acme", "/acme/_members/remove", {"username": "admin"}, confirmed=False
        )
        assert unasked.status_code == 403  # no confirmation page for what they may not do
        feed = await post_form(bob, "/acme", "/acme/_feeds", {"name": "mine"})
        assert feed.status_code == 403
        assert set(await members_of(api)) == {"admin", "bob"}

        await ok(api.put(MEMBERS + "/bob", json={"role": "owner"}))
        assert 'action="/acme/_feeds"' in (await bob.get("/acme")).text
        created = await post_form(bob, "/acme", "/acme/_feeds", {"name": "mine"})
        assert created.headers["location"] == "/acme/_artifacts/feed/mine"
        mine = await ok(api.get("/acme/_apis/packaging/feeds/mine"))
        assert mine["visibility"] == "private"


async def test_create_project_and_feeds_from_the_pages(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await create_org(api)
    await user_with_password(api)
    await sign_in(anon)
    fields = {"name": "platform", "description": "The platform team"}
    made = await post_form(anon, "/acme", "/acme/_projects", fields)
    assert made.status_code == 303 and made.headers["location"] == "/acme/platform"
    projects = await ok(api.get("/acme/_apis/projects"))
    assert [(p["name"], p["description"]) for p in projects] == [("platform", "The platform team")]
    page = await anon.get("/acme/platform")
    assert "Project acme/platform created." in page.text and "The platform team" in page.text

    fields = {"name": "tools", "visibility": "public", "readers_can_save": "yes"}
    feed = await post_form(anon, "/acme/platform", "/acme/platform/_feeds", fields)
    assert feed.status_code == 303
    assert feed.headers["location"] == "/acme/platform/_artifacts/feed/tools"
    tools = await ok(api.get("/acme/platform/_apis/packaging/feeds/tools"))
    assert tools["visibility"] == "public" and tools["readers_can_save"] is True
    landed = await anon.get(feed.headers["location"])
    assert landed.status_code == 200 and "Feed acme/platform/tools created." in landed.text

    org_feed = await post_form(anon, "/acme", "/acme/_feeds", {"name": "libs", "description": "x"})
    assert org_feed.headers["location"] == "/acme/_artifacts/feed/libs"
    libs = await ok(api.get("/acme/_apis/packaging/feeds/libs"))
    assert libs["visibility"] == "private" and libs["description"] == "x"
    assert libs["readers_can_save"] is False


async def test_project_and_feed_forms_refuse_bad_input(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await create_org(api)
    await ok(api.post("/acme/_apis/projects", json={"name": "platform"}), 201)
    await user_with_password(api)
    await sign_in(anon)
    cases: list[tuple[str, dict[str, str], int, str]] = [
        ("/acme/_projects", {"name": "bad name"}, 400, "Project name must be"),
        ("/acme/_projects", {"name": "platform"}, 409, "already exists"),
        ("/acme/_projects", {"name": "ok", "description": "d" * 300}, 400, "at most 255"),
        ("/acme/_feeds", {"name": "_hidden"}, 400, "must not start with"),
        ("/acme/_feeds", {"name": ""}, 400, "must not be empty"),
        ("/acme/_feeds", {"name": "x", "visibility": "secret"}, 400, "Unknown visibility"),
        ("/acme/_feeds", {"name": "x", "description": "d" * 300}, 400, "at most 255"),
        ("/acme/nope/_feeds", {"name": "x"}, 404, "does not exist"),
        ("/nope/_projects", {"name": "x"}, 404, "does not exist"),
    ]
    for action, fields, status, sentence in cases:
        answer = await post_form(anon, "/acme", action, fields)
        assert answer.status_code == status, (action, fields, answer.text)
        assert sentence in answer.text, (action, fields)
    assert [p["name"] for p in await ok(api.get("/acme/_apis/projects"))] == ["platform"]
    assert await ok(api.get("/acme/_apis/packaging/feeds")) == []
    no_token = await anon.post("/acme/_feeds", data={"name": "x"}, headers={"Origin": ORIGIN})
    assert no_token.status_code == 403
    assert await ok(api.get("/acme/_apis/packaging/feeds")) == []


async def test_home_lists_organizations_and_admins_create_one(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await user_with_password(api)
    await sign_in(anon)
    home = await anon.get("/")
    assert 'action="/_orgs"' in home.text
    created = await post_form(anon, "/", "/_orgs", {"name": "umbrella"}, confirmed=False)
    assert created.status_code == 303
    assert created.headers["location"] == "/umbrella"
    assert "umbrella" in (await api.get("/_apis/organizations")).text
    home = await anon.get("/")
    assert 'href="/umbrella"' in home.text  # no feed yet, reachable all the same
    again = await post_form(anon, "/", "/_orgs", {"name": "umbrella"}, confirmed=False)
    assert again.status_code == 409
    bad = await post_form(anon, "/", "/_orgs", {"name": "_bad name"}, confirmed=False)
    assert bad.status_code == 400
    assert (
        await anon.post("/_orgs", data={"name": "x"}, headers={"Origin": ORIGIN})
    ).status_code == 403


async def test_non_admins_cannot_create_organizations(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await user_with_password(api, "bob", admin=False)
    await sign_in(anon, username="bob")
    home = await anon.get("/")
    assert 'action="/_orgs"' not in home.text
    refused = await post_form(anon, "/", "/_orgs", {"name": "mine"}, confirmed=False)
    assert refused.status_code == 403
