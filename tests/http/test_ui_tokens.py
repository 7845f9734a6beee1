"""Your tokens page, in process: list, create (shown once), revoke; its refusals."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from tests.http.publishing import make_feed
from tests.http.rest_support import ok
from tests.http.ui_support import ORIGIN, post_form, sign_in, token_of, user_with_password

TOKENS = "/_account/tokens"
SECRET = re.compile(r"qvr_[A-Za-z0-9_-]{32,}")
INDEX = "/acme/_packaging/libs/pypi/simple/"


def _browser(api: httpx.AsyncClient) -> httpx.AsyncClient:
    """Another cookie jar on the same app (a second person's browser)."""
    return httpx.AsyncClient(transport=api._transport, base_url="http://quiver.test")


def _with_token(api: httpx.AsyncClient, secret: str) -> httpx.AsyncClient:
    """A client sending ``secret`` as the Basic password, as pip does."""
    return httpx.AsyncClient(
        transport=api._transport, base_url="http://quiver.test", auth=("quiver", secret)
    )


async def _signed_in(api: httpx.AsyncClient, browser: httpx.AsyncClient) -> None:
    await user_with_password(api, admin=False)
    await make_feed(api, "acme/libs", visibility="organization")
    await make_feed(api, "acme/open", visibility="public")
    await make_feed(api, "acme/secret")
    member = await api.put("/_apis/organizations/acme/members/alice", json={"role": "member"})
    assert member.status_code in (200, 201), member.text
    assert (await sign_in(browser)).status_code == 303


async def _create(browser: httpx.AsyncClient, **fields: str) -> httpx.Response:
    base = {"name": "ci", "scope": "packaging:read", "days": "10"}
    return await post_form(browser, TOKENS, TOKENS, {**base, **fields}, confirmed=False)


def _secret_of(page: httpx.Response) -> str:
    box = re.search(r'<section class="secret".*?</section>', page.text, re.S)
    assert box is not None, page.text
    found = SECRET.search(box.group(0))
    assert found is not None
    return found.group(0)


def _revoke_path(page: str) -> str:
    found = re.search(r'action="(/_account/tokens/\d+/revoke)"', page)
    assert found is not None, page
    return found.group(1)


async def test_anonymous_visitors_sign_in_first(anon: httpx.AsyncClient) -> None:
    page = await anon.get(TOKENS)
    assert page.status_code == 303
    assert page.headers["location"] == "/_auth/signin?next=/_account/tokens"
    created = await anon.post(TOKENS, data={"name": "x"}, headers={"Origin": ORIGIN})
    assert created.status_code == 401


async def test_create_list_and_revoke(api: httpx.AsyncClient, anon: httpx.AsyncClient) -> None:
    await _signed_in(api, anon)
    empty = await anon.get(TOKENS)
    assert empty.status_code == 200
    assert "You have no tokens yet." in empty.text
    # The feeds alice can read are offered as limits; the private one is not.
    assert 'name="feeds[]" value="acme/libs"' in empty.text
    assert 'name="feeds[]" value="acme/open"' in empty.text
    assert "acme/secret" not in empty.text

    made = await _create(anon, **{"feeds[]": "acme/libs"})
    assert made.status_code == 200, made.text
    assert "location" not in made.headers
    assert made.headers["cache-control"] == "no-store"
    secret = _secret_of(made)
    assert "Copy it now: it is shown this once" in made.text
    row = re.search(r"<tr>\s*<th scope=\"row\">ci .*?</tr>", made.text, re.S)
    assert row is not None, made.text
    assert "packaging:read" in row.group(0) and "acme/libs" in row.group(0)
    assert secret not in row.group(0) and secret[:8] in row.group(0)  # the hint only

    reload = await anon.get(TOKENS)
    assert secret not in reload.text
    assert '<th scope="row">ci ' in reload.text

    async with _with_token(api, secret) as pip:
        assert (await pip.get(INDEX)).status_code == 200
        assert (await pip.get("/acme/_packaging/open/pypi/simple/")).status_code in (403, 404)

        path = _revoke_path(reload.text)
        asked = await post_form(anon, TOKENS, path, confirmed=False)
        assert asked.status_code == 200
        assert "Revoke the token “ci”?" in asked.text
        assert (await pip.get(INDEX)).status_code == 200  # not before the confirmation
        done = await post_form(anon, TOKENS, path)
        assert done.status_code == 303
        assert done.headers["location"] == TOKENS
        after = await anon.get(TOKENS)
        assert "Token “ci” revoked" in html.unescape(after.text)
        assert "Revoked" in after.text and path not in after.text
        assert (await pip.get(INDEX)).status_code == 401


async def test_typed_feed_limits_and_no_expiry(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await _signed_in(api, anon)
    made = await _create(
        anon, name="deploy", scope="packaging:write", feed_refs="acme/libs, acme/open", days=""
    )
    assert made.status_code == 200, made.text
    [token] = await ok(api.get("/_apis/tokens", params={"user": "alice"}))
    assert token["name"] == "deploy" and token["scope"] == "packaging:write"
    assert token["feeds"] == ["acme/libs", "acme/open"]
    assert token["expires_at"] is None
    assert "never expires" in made.text


async def test_revoking_another_users_token_is_refused(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await _signed_in(api, anon)
    secret = _secret_of(await _create(anon))
    path = _revoke_path((await anon.get(TOKENS)).text)
    await user_with_password(api, "bob", admin=False)
    async with _browser(api) as bob:
        assert (await sign_in(bob, username="bob")).status_code == 303
        for confirmed in (False, True):
            refused = await post_form(bob, TOKENS, path, confirmed=confirmed)
            assert refused.status_code == 404
            assert "does not exist" in refused.text
        odd = await post_form(bob, TOKENS, "/_account/tokens/abc/revoke")
        assert odd.status_code == 404
    async with _with_token(api, secret) as pip:
        assert (await pip.get(INDEX)).status_code == 200


async def test_forms_without_form_token_are_refused(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await _signed_in(api, anon)
    await _create(anon)
    path = _revoke_path((await anon.get(TOKENS)).text)
    fields = {"name": "x", "scope": "packaging:read", "confirmed": "yes"}
    for action in (TOKENS, path):
        refused = await anon.post(action, data=fields, headers={"Origin": ORIGIN})
        assert refused.status_code == 403
        assert "reload the page" in refused.text
    page = await anon.get(TOKENS)
    forged = {**fields, "form_token": token_of(page.text)}
    elsewhere = await anon.post(TOKENS, data=forged, headers={"Origin": "https://evil.example"})
    assert elsewhere.status_code == 403
    tokens = await ok(api.get("/_apis/tokens", params={"user": "alice"}))
    assert [t["name"] for t in tokens] == ["ci"] and tokens[0]["revoked_at"] is None


@pytest.mark.parametrize(
    ("fields", "status", "sentence"),
    [
        ({"name": ""}, 400, "Token name must be 1-100 characters."),
        ({"name": "x" * 101}, 400, "Token name must be 1-100 characters."),
        ({"days": "0"}, 400, "Token lifetime must be 1-3650 days."),
        ({"days": "3651"}, 400, "Token lifetime must be 1-3650 days."),
        ({"days": "9" * 50}, 400, "Token lifetime must be 1-3650 days."),
        ({"days": "ten"}, 400, "whole number of days"),
        ({"scope": "packaging:admin"}, 400, "Unknown scope 'packaging:admin'"),
        ({"feed_refs": "acme/nope"}, 404, "acme/nope"),
        ({"feed_refs": "acme/secret"}, 404, "acme/secret"),
        ({"feeds[]": "acme/nope"}, 404, "acme/nope"),
        ({"feed_refs": "not-a-ref"}, 400, "Invalid feed reference 'not-a-ref'"),
        ({"feed_refs": "acme/libs@release"}, 400, "limited to feeds, not views"),
        ({"feed_refs": " ".join(f"acme/f{n}" for n in range(51))}, 400, "at most 50 feeds"),
    ],
)
async def test_bad_input_is_refused_with_a_sentence(
    api: httpx.AsyncClient,
    anon: httpx.AsyncClient,
    fields: dict[str, str],
    status: int,
    sentence: str,
) -> None:
    await _signed_in(api, anon)
    refused = await _create(anon, **fields)
    assert refused.status_code == status, refused.text
    assert sentence in html.unescape(refused.text)
    assert not SECRET.search(refused.text)
    assert await ok(api.get("/_apis/tokens", params={"user": "alice"})) == []
