"""Helpers for the REST API tests: act as other users, set things up, check errors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any

import httpx

from quiver.api.app import create_app
from quiver.settings import Settings
from tests.conftest import ADMIN_TOKEN


@asynccontextmanager
async def running_api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client on an app of its own with ``settings``, authenticated as the admin."""
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://quiver.test",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        ) as client,
    ):
        yield client


def client_with(api: httpx.AsyncClient, token: str | None) -> httpx.AsyncClient:
    """Another client on the same app, sending ``token`` as Bearer (None: anonymous)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(transport=api._transport, base_url=api.base_url, headers=headers)


def assert_error(response: httpx.Response, status: int, *fragments: str) -> str:
    """The response is ``status`` with a one-line ``{"message"}`` holding each fragment."""
    assert response.status_code == status, response.text
    body = response.json()
    # ``code`` and ``sha256``: the upload's 409 for a filename the feed has or had
    assert "message" in body and set(body) <= {"message", "code", "sha256"}, body
    message = body["message"]
    assert isinstance(message, str)
    assert message
    assert "\n" not in message
    for fragment in fragments:
        assert fragment.lower() in message.lower(), message
    return message


async def ok(request: Awaitable[httpx.Response], status: int = 200) -> Any:
    """Await a request and return its JSON body after checking the status."""
    result = await request
    assert result.status_code == status, result.text
    return result.json() if result.content else None


async def create_user(api: httpx.AsyncClient, username: str, *, admin: bool = False) -> None:
    await ok(api.post("/_apis/users", json={"username": username, "is_admin": admin}), 201)


async def create_token(
    api: httpx.AsyncClient,
    user: str | None = None,
    *,
    scope: str = "packaging:manage",
    feeds: list[str] | None = None,
    name: str = "test",
) -> tuple[int, str]:
    """A new token (as ``api``'s caller, for ``user`` if given): (id, secret)."""
    body: dict[str, Any] = {"name": name, "scope": scope, "feeds": feeds or []}
    if user is not None:
        body["user"] = user
    created = await ok(api.post("/_apis/tokens", json=body), 201)
    return created["id"], created["token"]


async def as_new_user(
    api: httpx.AsyncClient,
    username: str,
    *,
    scope: str = "packaging:manage",
    feeds: list[str] | None = None,
) -> httpx.AsyncClient:
    """Create ``username`` and a token for it; a client acting as that user."""
    await create_user(api, username)
    _, secret = await create_token(api, username, scope=scope, feeds=feeds)
    return client_with(api, secret)


async def create_org(api: httpx.AsyncClient, name: str = "acme") -> None:
    await ok(api.post("/_apis/organizations", json={"name": name}), 201)


async def create_feed(
    api: httpx.AsyncClient, ref: str = "acme/libs", visibility: str = "private"
) -> dict[str, Any]:
    """Create a feed named ``ORG/FEED`` or ``ORG/PROJECT/FEED`` (org and project must exist)."""
    *scope, name = ref.split("/")
    url = "/" + "/".join(scope) + "/_apis/packaging/feeds"
    created: dict[str, Any] = await ok(
        api.post(url, json={"name": name, "visibility": visibility}), 201
    )
    return created
