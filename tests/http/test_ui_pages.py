"""The web pages, in process: sign-in and sign-out, home, a feed's and a package's page.

A browser test (real Chromium through Playwright) is still to come.
"""

from __future__ import annotations

import html
from pathlib import Path

import httpx
import pytest

from tests.http.publishing import make_feed, upload
from tests.http.rest_support import create_token
from tests.http.ui_support import ORIGIN, PASSWORD, sign_in, token_of, user_with_password
from tests.support.dists import build_wheel


async def test_sign_in_wrong_then_right_password(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await user_with_password(api)
    wrong = await sign_in(anon, "not the password")
    assert wrong.status_code == 401
    assert "Wrong username or password." in wrong.text
    assert "quiver_session" not in anon.cookies

    right = await sign_in(anon)
    assert right.status_code == 303
    assert right.headers["location"] == "/"
    cookie = right.headers["set-cookie"].lower()
    assert "quiver_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert "path=/" in cookie and "secure" not in cookie  # plain http here
    home = await anon.get("/")
    assert "Signed in as <strong>alice</strong>" in home.text


async def test_forms_without_token_or_from_elsewhere_are_refused(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await user_with_password(api)
    fields = {"username": "alice", "password": PASSWORD}
    no_token = await anon.post("/_auth/signin", data=fields)
    assert no_token.status_code == 400
    form = await anon.get("/_auth/signin")
    fields["form_token"] = token_of(form.text)
    elsewhere = await anon.post(
        "/_auth/signin", data=fields, headers={"Origin": "https://evil.example"}
    )
    assert elsewhere.status_code == 403
    assert (await sign_in(anon)).status_code == 303
    signout = await anon.post("/_auth/signout", data={}, headers={"Origin": ORIGIN})
    assert signout.status_code == 403
    assert "Signed in as" in (await anon.get("/")).text


async def test_home_lists_private_feeds_only_when_signed_in(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await user_with_password(api)
    await make_feed(api, "acme/secret")
    await make_feed(api, "acme/open", visibility="public")
    public = await anon.get("/")
    assert public.status_code == 200
    assert "/acme/_artifacts/feed/open" in public.text
    assert "secret" not in public.text
    assert 'href="/_auth/signin' in public.text
    private = await anon.get("/acme/_artifacts/feed/secret")
    assert private.status_code == 401

    await sign_in(anon)
    home = await anon.get("/")
    assert "/acme/_artifacts/feed/secret" in home.text
    filtered = await anon.get("/", params={"q": "SEC"})
    assert "/acme/_artifacts/feed/secret" in filtered.text
    assert "/acme/_artifacts/feed/open" not in filtered.text


async def test_feed_page_search_and_paging(api: httpx.AsyncClient, tmp_path: Path) -> None:
    ref = "acme/libs"
    await make_feed(api, ref, visibility="public")
    empty = await api.get("/acme/_artifacts/feed/libs")
    assert "twine upload" in empty.text and "/acme/_packaging/libs/pypi/upload/" in empty.text
    for number in range(60):
        wheel = build_wheel(tmp_path, f"pkg{number:02d}", "1.0")
        assert (await upload(api, ref, wheel)).status_code == 200
    wheel = build_wheel(tmp_path, "other", "2.0", summary="another one")
    assert (await upload(api, ref, wheel)).status_code == 200

    first = await api.get("/acme/_artifacts/feed/libs")
    assert first.status_code == 200
    assert "61 packages" in first.text
    # by normalized name: other, pkg00 … pkg48 on the first page
    assert "/package/other" in first.text and "/package/pkg48" in first.text
    assert "/package/pkg49" not in first.text
    assert "Page 1 of 2" in first.text
    second = await api.get("/acme/_artifacts/feed/libs", params={"page": "2"})
    assert "/package/pkg49" in second.text and "/package/pkg59" in second.text
    assert "/package/other" not in second.text
    found = await api.get("/acme/_artifacts/feed/libs", params={"q": "OTH"})
    assert "1 package " in found.text and "another one" in found.text
    assert "/package/pkg00" not in found.text


async def test_package_page_renders_readme_safely(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, tmp_path: Path
) -> None:
    ref = "acme/libs"
    await make_feed(api, ref, visibility="public")
    readme = (
        "Description-Content-Type: text/markdown\n"
        "Project-URL: Home, https://example.org/home\n"
        "Project-URL: Bad, javascript:alert(1)\n\n"
        "# Hello readers\n\nSome *text*.\n\n<script>alert('x')</script>\n"
    )
    for version in ("1.0", "1.1"):
        wheel = build_wheel(
            tmp_path, "shiny", version, requires_dist=["helper>=1"], extra_metadata=readme
        )
        assert (await upload(api, ref, wheel)).status_code == 200

    page = await anon.get("/acme/_artifacts/feed/libs/package/shiny")
    assert page.status_code == 200
    assert "<h1>Hello readers</h1>" in page.text
    assert "<em>text</em>" in page.text
    assert "<script>" not in page.text
    assert 'href="/acme/_artifacts/feed/libs/package/helper"' in page.text
    assert 'href="https://example.org/home"' in page.text
    assert 'href="javascript:' not in page.text
    shown = html.unescape(page.text)
    index = "http://quiver.test/acme/_packaging/libs/pypi/simple/"
    assert f'pip install --index-url {index} "shiny==1.1"' in shown
    assert 'poetry add --source libs "shiny==1.1"' in shown
    older = await anon.get("/acme/_artifacts/feed/libs/package/shiny/v/1.0")
    assert older.status_code == 200 and '"shiny==1.0"' in html.unescape(older.text)
    missing = await anon.get("/acme/_artifacts/feed/libs/package/shiny/v/9.9")
    assert missing.status_code == 404


async def test_sign_out_ends_the_session(api: httpx.AsyncClient, anon: httpx.AsyncClient) -> None:
    await user_with_password(api)
    await make_feed(api, "acme/secret")
    await sign_in(anon)
    cookie = anon.cookies["quiver_session"]
    home = await anon.get("/")
    out = await anon.post(
        "/_auth/signout", data={"form_token": token_of(home.text)}, headers={"Origin": ORIGIN}
    )
    assert out.status_code == 303
    assert "quiver_session" not in anon.cookies
    # The old cookie, sent again, is no longer a session.
    anon.cookies.set("quiver_session", cookie)
    again = await anon.get("/")
    assert "Signed in as" not in again.text
    assert "secret" not in again.text


async def test_static_stylesheet_is_cached(anon: httpx.AsyncClient) -> None:
    css = await anon.get("/_static/quiver.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "max-age" in css.headers["cache-control"]
    assert (await anon.get("/_static/nope.css")).status_code == 404


# /{org} and /{org}/{project} match any one or two segments: a route with a fixed path
# included after the pages would never be reached (/metrics was, once).
@pytest.mark.parametrize(
    "path", ["/_apis/health", "/acme/_packaging/libs/pypi/simple/", "/metrics", "/_apis/redoc"]
)
async def test_other_routes_keep_their_paths(anon: httpx.AsyncClient, path: str) -> None:
    response = await anon.get(path)
    assert "Not available · Quiver" not in response.text  # not the pages' error page
    html_ok = "simple" in path or "redoc" in path
    assert "text/html" not in response.headers.get("content-type", "") or html_ok


async def test_sign_in_with_a_full_token_but_not_a_limited_one(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await user_with_password(api)
    await make_feed(api, "acme/secret")
    _, full = await create_token(api, "alice", scope="packaging:manage")
    _, limited = await create_token(api, "alice", scope="packaging:read")
    _, feed_only = await create_token(api, "alice", feeds=["acme/secret"])
    _, admins = await create_token(api, "admin", scope="packaging:manage")
    revoked_id, revoked = await create_token(api, "alice", scope="packaging:manage")
    assert (await api.delete(f"/_apis/tokens/{revoked_id}")).status_code == 204

    wrong_user = await sign_in(anon, admins)
    assert wrong_user.status_code == 401
    assert "Wrong username or password." in wrong_user.text
    for narrow in (limited, feed_only):
        refused = await sign_in(anon, narrow)
        assert refused.status_code == 403
        assert "This token is limited" in refused.text
        assert narrow not in refused.text
    assert (await sign_in(anon, revoked)).status_code == 401
    assert "quiver_session" not in anon.cookies

    signed = await sign_in(anon, full)
    assert signed.status_code == 303
    home = await anon.get("/")
    assert "Signed in as <strong>alice</strong>" in home.text
    assert "/acme/_artifacts/feed/secret" in home.text
