"""Helpers for tests of the web pages: a user with a password, signing in, posting a
page's form the way a browser does (session cookie, form token, same-origin header)."""

from __future__ import annotations

import re

import httpx

from tests.http.rest_support import create_user

PASSWORD = "correct horse battery"
ORIGIN = "http://quiver.test"


async def user_with_password(
    api: httpx.AsyncClient, name: str = "alice", *, admin: bool = True
) -> None:
    """Create ``name`` (an administrator unless ``admin=False``) with PASSWORD."""
    await create_user(api, name, admin=admin)
    put = await api.put(f"/_apis/users/{name}/password", json={"password": PASSWORD})
    assert put.status_code == 204, put.text


def token_of(html: str) -> str:
    """The first form token in a page."""
    found = re.search(r'name="form_token" value="([^"]+)"', html)
    assert found is not None, html
    return found.group(1)


async def sign_in(
    browser: httpx.AsyncClient, password: str = PASSWORD, username: str = "alice"
) -> httpx.Response:
    """Sign ``browser`` in through the sign-in form."""
    form = await browser.get("/_auth/signin")
    assert form.status_code == 200
    fields = {"form_token": token_of(form.text), "username": username, "password": password}
    return await browser.post("/_auth/signin", data=fields, headers={"Origin": ORIGIN})


async def post_form(
    browser: httpx.AsyncClient,
    page_path: str,
    action: str,
    fields: dict[str, str] | None = None,
    *,
    confirmed: bool = True,
) -> httpx.Response:
    """Open ``page_path``, take its form token, and post ``fields`` to ``action`` as that
    page's form would (``confirmed=yes`` unless ``confirmed=False``)."""
    opened = await browser.get(page_path)
    assert opened.status_code == 200, opened.text
    data = {"form_token": token_of(opened.text), **(fields or {})}
    if confirmed:
        data["confirmed"] = "yes"
    return await browser.post(action, data=data, headers={"Origin": ORIGIN})
