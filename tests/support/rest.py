"""Set up organizations, feeds, users, tokens and roles through the REST API."""

from __future__ import annotations

import httpx


def _check(response: httpx.Response, *allowed: int) -> httpx.Response:
    if response.status_code not in allowed:
        raise AssertionError(
            f"{response.request.method} {response.request.url.path}: "
            f"{response.status_code} {response.text}"
        )
    return response


def ensure_org(client: httpx.Client, org: str) -> None:
    _check(client.post("/_apis/organizations", json={"name": org}), 201, 409)


def create_feed(client: httpx.Client, ref: str, visibility: str = "private") -> dict[str, object]:
    """Create ``org/feed`` or ``org/project/feed`` (organization and project as needed)."""
    org, *rest = ref.split("/")
    ensure_org(client, org)
    prefix = f"/{org}"
    if len(rest) == 2:
        _check(client.post(f"/{org}/_apis/projects", json={"name": rest[0]}), 201, 409)
        prefix = f"/{org}/{rest[0]}"
    response = client.post(
        f"{prefix}/_apis/packaging/feeds", json={"name": rest[-1], "visibility": visibility}
    )
    body: dict[str, object] = _check(response, 201).json()
    return body


def create_user(client: httpx.Client, username: str) -> None:
    _check(client.post("/_apis/users", json={"username": username}), 201, 409)


def create_token(
    client: httpx.Client,
    username: str,
    scope: str = "packaging:manage",
    feeds: list[str] | None = None,
) -> str:
    body: dict[str, object] = {"name": f"{username}-token", "scope": scope, "user": username}
    if feeds:
        body["feeds"] = feeds
    token = _check(client.post("/_apis/tokens", json=body), 201).json()["token"]
    assert isinstance(token, str)
    return token


def feed_url(ref: str, suffix: str = "") -> str:
    """The REST address of feed ``ref`` (``ORG/FEED`` or ``ORG/PROJECT/FEED``), ``suffix``
    appended (e.g. "/permissions")."""
    *scope, feed = ref.split("/")
    return f"/{'/'.join(scope)}/_apis/packaging/feeds/{feed}{suffix}"


def set_role(client: httpx.Client, ref: str, username: str, role: str) -> None:
    _check(client.put(feed_url(ref, f"/permissions/{username}"), json={"role": role}), 200, 201)


def add_member(client: httpx.Client, org: str, username: str) -> None:
    _check(
        client.put(f"/_apis/organizations/{org}/members/{username}", json={"role": "member"}),
        200,
        201,
    )
