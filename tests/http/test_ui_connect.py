"""The connect page, in process: a tab per tool, the view choice, and a token made for the
snippets (shown once, limited to the feed, with the scope the tool needs)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from quiver.domain.snippets import TOKEN_PLACEHOLDER, TOOLS
from tests.http.publishing import make_feed, upload
from tests.http.rest_support import ok
from tests.http.ui_support import ORIGIN, post_form, sign_in, token_of, user_with_password
from tests.support.dists import build_wheel

CONNECT = "/acme/_artifacts/feed/libs/connect"
INDEX = "http://quiver.test/acme/_packaging/libs/pypi/simple/"
SECRET = re.compile(r"qvr_[A-Za-z0-9_-]{32,}")


def _browser(api: httpx.AsyncClient) -> httpx.AsyncClient:
    """Another cookie jar on the same app (a second person's browser)."""
    return httpx.AsyncClient(transport=api._transport, base_url="http://quiver.test")


def _with_token(api: httpx.AsyncClient, secret: str) -> httpx.AsyncClient:
    """A client sending ``secret`` as the Basic password, as pip does."""
    return httpx.AsyncClient(
        transport=api._transport, base_url="http://quiver.test", auth=("quiver", secret)
    )


def _secret_of(page: httpx.Response) -> str:
    """The token shown in the page's ``.secret`` box."""
    box = re.search(r'<section class="secret".*?</section>', page.text, re.S)
    assert box is not None, page.text
    found = SECRET.search(box.group(0))
    assert found is not None, box.group(0)
    return found.group(0)


def _current(page: str, label: str) -> bool:
    """Whether the link labelled ``label`` is the current one (aria-current)."""
    return (
        re.search(rf'<a href="[^"]*" aria-current="page">{re.escape(label)}</a>', page) is not None
    )


async def _alice_with_feeds(api: httpx.AsyncClient, browser: httpx.AsyncClient) -> None:
    await user_with_password(api)
    await make_feed(api, "acme/libs")
    await make_feed(api, "acme/other")
    assert (await sign_in(browser)).status_code == 303


async def _make_token(
    browser: httpx.AsyncClient, fields: dict[str, str], page_path: str = CONNECT
) -> httpx.Response:
    base = {"tool": "pip", "view": "", "purpose": "", "days": "30"}
    return await post_form(
        browser, page_path, f"{CONNECT}/token", {**base, **fields}, confirmed=False
    )


@pytest.mark.parametrize("tool", TOOLS)
async def test_connect_page_for_each_tool(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, tool: str
) -> None:
    await make_feed(api, "acme/libs", visibility="public")
    page = await anon.get(CONNECT, params={"tool": tool})
    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "no-store"
    assert _current(page.text, tool)
    for other in TOOLS:
        assert f'href="{CONNECT}?tool={other}"' in page.text
        assert _current(page.text, other) == (other == tool)
    answer = await ok(api.get("/acme/_apis/packaging/feeds/libs/connect", params={"tool": tool}))
    shown = html.unescape(page.text)
    for snippet in answer["snippets"]:
        assert f'<pre class="copy"><code>{snippet["content"]}</code></pre>' in shown
    for note in answer["notes"]:
        assert f"<li>{note}</li>" in shown
    assert INDEX in page.text
    # Anonymous visitors get no token form, a sign-in link instead.
    assert "/connect/token" not in page.text
    assert 'href="/_auth/signin?next=' in page.text


async def test_unknown_tool_and_private_feed(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await make_feed(api, "acme/libs")
    private = await anon.get(CONNECT)
    assert private.status_code == 401
    assert "/_auth/signin?next=" in private.text
    await make_feed(api, "acme/open", visibility="public")
    conda = await anon.get("/acme/_artifacts/feed/open/connect", params={"tool": "conda"})
    assert conda.status_code == 400
    assert "Unknown tool" in html.unescape(conda.text)


async def test_view_choice_changes_the_index_url(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await _alice_with_feeds(api, anon)
    feed = await anon.get(CONNECT, params={"tool": "uv"})
    assert feed.status_code == 200
    assert INDEX in feed.text
    assert _current(feed.text, "The feed itself")
    assert f'href="{CONNECT}?tool=uv&amp;view=release"' in feed.text
    assert f'href="{CONNECT}?tool=uv&amp;view=prerelease"' in feed.text

    release = await anon.get(CONNECT, params={"tool": "uv", "view": "release"})
    assert release.status_code == 200
    view_index = "http://quiver.test/acme/_packaging/libs@release/pypi/simple/"
    assert view_index in release.text and INDEX not in release.text
    assert _current(release.text, "@release")
    assert not _current(release.text, "The feed itself")
    # The tabs keep the view; the path's @view means the same.
    assert f'href="{CONNECT}?tool=pip&amp;view=release"' in release.text
    by_path = await anon.get("/acme/_artifacts/feed/libs@release/connect", params={"tool": "uv"})
    assert view_index in by_path.text
    local = await anon.get(CONNECT, params={"view": "local"})
    assert INDEX in local.text
    missing = await anon.get(CONNECT, params={"view": "nope"})
    assert missing.status_code == 404
    assert "View nope does not exist" in missing.text


async def test_install_token_is_shown_once_limited_and_read_only(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, tmp_path: Path
) -> None:
    await _alice_with_feeds(api, anon)
    made = await _make_token(anon, {"tool": "pip"})
    assert made.status_code == 200, made.text
    assert "location" not in made.headers
    assert made.headers["cache-control"] == "no-store"
    secret = _secret_of(made)
    shown = html.unescape(made.text)
    assert f"export QUIVER_TOKEN='{secret}'" in shown
    assert 'export PIP_INDEX_URL="http://quiver:${QUIVER_TOKEN}@quiver.test/acme/' in shown
    # Never in a link or a form's address.
    assert not any(
        SECRET.search(link) for link in re.findall(r'(?:href|action)="([^"]*)"', made.text)
    )
    again = await anon.get(CONNECT)
    assert secret not in again.text

    listed = await ok(api.get("/_apis/tokens", params={"user": "alice"}))
    [token] = listed
    assert token["scope"] == "packaging:read"
    assert token["feeds"] == ["acme/libs"]
    assert token["name"] == "pip install acme/libs"
    # 30 days, as chosen: a web session's own short expiry does not cap it.
    expires = datetime.fromisoformat(token["expires_at"])
    assert expires > datetime.now(UTC) + timedelta(days=29)

    async with _with_token(api, secret) as pip:
        assert (await pip.get("/acme/_packaging/libs/pypi/simple/")).status_code == 200
        assert (await pip.get("/acme/_packaging/other/pypi/simple/")).status_code in (403, 404)
        wheel = build_wheel(tmp_path, "shiny", "1.0")
        refused = await upload(pip, "acme/libs", wheel)
        assert refused.status_code == 403, refused.text


@pytest.mark.parametrize(
    ("tool", "purpose", "scope", "shown"),
    [
        ("twine", "", "packaging:write", "password = {secret}\n"),
        ("uv", "publish", "packaging:write", "export UV_INDEX_LIBS_PASSWORD='{secret}'"),
        ("uv", "install", "packaging:read", "export UV_INDEX_LIBS_PASSWORD='{secret}'"),
        ("poetry", "publish", "packaging:write", "POETRY_HTTP_BASIC_LIBS_PASSWORD='{secret}'"),
        ("pdm", "publish", "packaging:write", "export QUIVER_TOKEN='{secret}'"),
        ("requirements", "", "packaging:read", "export QUIVER_TOKEN='{secret}'"),
    ],
)
async def test_token_scope_follows_the_tool(
    api: httpx.AsyncClient,
    anon: httpx.AsyncClient,
    tmp_path: Path,
    tool: str,
    purpose: str,
    scope: str,
    shown: str,
) -> None:
    await _alice_with_feeds(api, anon)
    made = await _make_token(anon, {"tool": tool, "purpose": purpose, "view": "release"})
    assert made.status_code == 200, made.text
    secret = _secret_of(made)
    text = html.unescape(made.text)
    assert shown.format(secret=secret) in text
    assert TOKEN_PLACEHOLDER not in re.sub(r"<li>.*?</li>", "", text, flags=re.S)  # notes aside
    assert "libs@release/pypi/simple/" in text or tool == "twine"
    [token] = await ok(api.get("/_apis/tokens", params={"user": "alice"}))
    assert (token["scope"], token["feeds"]) == (scope, ["acme/libs"])
    async with _with_token(api, secret) as client:
        published = await upload(client, "acme/libs", build_wheel(tmp_path, "shiny", "1.0"))
    assert published.status_code == (200 if scope == "packaging:write" else 403), published.text


@pytest.mark.parametrize(
    ("fields", "status", "sentence"),
    [
        ({"tool": "conda"}, 400, "Unknown tool"),
        ({"tool": "pip", "purpose": "publish"}, 400, "is for install, not 'publish'"),
        ({"tool": "twine", "purpose": "install"}, 400, "is for publish, not 'install'"),
        ({"days": "0"}, 400, "Token lifetime must be 1-3650 days."),
        ({"days": "3651"}, 400, "Token lifetime must be 1-3650 days."),
        ({"days": "9" * 40}, 400, "Token lifetime must be 1-3650 days."),
        ({"days": "-1"}, 400, "whole number of days"),
        ({"view": "nope"}, 404, "View nope does not exist"),
    ],
)
async def test_token_form_refuses_bad_input(
    api: httpx.AsyncClient,
    anon: httpx.AsyncClient,
    fields: dict[str, str],
    status: int,
    sentence: str,
) -> None:
    await _alice_with_feeds(api, anon)
    refused = await _make_token(anon, fields)
    assert refused.status_code == status, refused.text
    assert sentence in html.unescape(refused.text)
    assert not SECRET.search(refused.text)
    assert await ok(api.get("/_apis/tokens", params={"user": "alice"})) == []


async def test_token_form_needs_a_form_token_a_session_and_a_reader(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await _alice_with_feeds(api, anon)
    fields = {"tool": "pip", "view": "", "purpose": "", "days": "30"}
    no_token = await anon.post(f"{CONNECT}/token", data=fields, headers={"Origin": ORIGIN})
    assert no_token.status_code == 403
    page = await anon.get(CONNECT)
    fields["form_token"] = token_of(page.text)
    elsewhere = await anon.post(
        f"{CONNECT}/token", data=fields, headers={"Origin": "https://evil.example"}
    )
    assert elsewhere.status_code == 403
    async with _browser(api) as stranger:
        signed_out = await stranger.post(
            f"{CONNECT}/token", data=fields, headers={"Origin": ORIGIN}
        )
        assert signed_out.status_code == 401
        # Bob may not read the private feed: no token for it, and no hint that it exists.
        await user_with_password(api, "bob", admin=False)
        assert (await sign_in(stranger, username="bob")).status_code == 303
        assert (await stranger.get(CONNECT)).status_code == 404
        home = await stranger.get("/")
        bob_fields = {**fields, "form_token": token_of(home.text)}
        refused = await stranger.post(
            f"{CONNECT}/token", data=bob_fields, headers={"Origin": ORIGIN}
        )
        assert refused.status_code == 404
    assert await ok(api.get("/_apis/tokens", params={"user": "alice"})) == []
    assert await ok(api.get("/_apis/tokens", params={"user": "bob"})) == []
