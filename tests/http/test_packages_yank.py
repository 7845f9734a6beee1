"""Yank and un-yank (PEP 592) through the REST API, as index pages then show them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from quiver.api.negotiation import JSON_V1
from tests.http.publishing import make_feed
from tests.http.rest_support import as_new_user, assert_error, ok
from tests.http.simple_support import FEED, PLAIN, Anchors, publish, simple
from tests.support.dists import build_sdist, build_wheel

VERSIONS = "/acme/_apis/packaging/feeds/libs/packages/{name}/versions"


def version_url(name: str, version: str, action: str = "") -> str:
    return VERSIONS.format(name=name) + f"/{version}" + (f"/{action}" if action else "")


@pytest.fixture
async def dists(api: httpx.AsyncClient, tmp_path: Path) -> dict[str, Path]:
    """``acme/libs`` with Foo.Bar 1.0 (wheel) and 2.0 (wheel and sdist)."""
    await make_feed(api, FEED)
    found = {
        "1.0": build_wheel(tmp_path, "Foo.Bar", "1.0"),
        "2.0": build_wheel(tmp_path, "Foo.Bar", "2.0"),
        "2.0-sdist": build_sdist(tmp_path, "Foo.Bar", "2.0"),
    }
    await publish(api, FEED, *found.values())
    return found


async def as_role(
    api: httpx.AsyncClient, username: str, role: str, scope: str
) -> httpx.AsyncClient:
    client = await as_new_user(api, username, scope=scope)
    await ok(
        api.put(f"/acme/_apis/packaging/feeds/libs/permissions/{username}", json={"role": role})
    )
    return client


@pytest.fixture
async def contributor(
    api: httpx.AsyncClient, dists: dict[str, Path]
) -> AsyncIterator[httpx.AsyncClient]:
    async with await as_role(api, "carol", "contributor", "packaging:write") as client:
        yield client


async def json_files(api: httpx.AsyncClient) -> dict[str, Any]:
    page = await api.get(simple(FEED, "foo-bar/"), headers={"Accept": JSON_V1})
    assert page.status_code == 200, page.text
    return {f["filename"]: f["yanked"] for f in page.json()["files"]}


async def html_yanked(api: httpx.AsyncClient) -> dict[str, str | None]:
    page = await api.get(simple(FEED, "foo-bar/"), headers=PLAIN)
    assert page.status_code == 200, page.text
    return {name: attrs.get("data-yanked") for name, attrs in Anchors(page.text).anchors.items()}


async def test_contributor_yanks_with_a_reason(
    api: httpx.AsyncClient, contributor: httpx.AsyncClient, dists: dict[str, Path]
) -> None:
    answer = await ok(
        contributor.post(version_url("foo-bar", "2.0", "yank"), json={"reason": "Broken <build>"})
    )
    assert answer["version"] == "2.0"
    assert answer["yanked"] is True
    assert answer["yanked_reason"] == "Broken <build>"
    assert {f["filename"] for f in answer["files"]} == {
        dists["2.0"].name,
        dists["2.0-sdist"].name,
    }

    # The whole version, every file of it; 1.0 untouched.
    assert await json_files(api) == {
        dists["1.0"].name: False,
        dists["2.0"].name: "Broken <build>",
        dists["2.0-sdist"].name: "Broken <build>",
    }
    assert await html_yanked(api) == {
        dists["1.0"].name: None,
        dists["2.0"].name: "Broken <build>",
        dists["2.0-sdist"].name: "Broken <build>",
    }
    listing = await ok(api.get(VERSIONS.format(name="Foo.Bar")))
    assert [(v["version"], v["yanked"], v["yanked_reason"]) for v in listing["versions"]] == [
        ("1.0", False, None),
        ("2.0", True, "Broken <build>"),
    ]


async def test_yank_without_reason_then_unyank(
    api: httpx.AsyncClient, contributor: httpx.AsyncClient, dists: dict[str, Path]
) -> None:
    answer = await ok(contributor.post(version_url("foo-bar", "2.0", "yank")))
    assert (answer["yanked"], answer["yanked_reason"]) == (True, None)
    files = await json_files(api)
    assert files[dists["2.0"].name] is True
    assert (await html_yanked(api))[dists["2.0"].name] == ""

    answer = await ok(contributor.post(version_url("foo-bar", "2.0", "unyank")))
    assert (answer["yanked"], answer["yanked_reason"]) == (False, None)
    assert set((await json_files(api)).values()) == {False}
    assert set((await html_yanked(api)).values()) == {None}


async def test_yank_is_idempotent_and_updates_the_reason(
    api: httpx.AsyncClient, contributor: httpx.AsyncClient, dists: dict[str, Path]
) -> None:
    await ok(contributor.post(version_url("foo-bar", "2.0", "yank"), json={"reason": "first"}))
    again = await ok(
        contributor.post(version_url("foo-bar", "2.0", "yank"), json={"reason": "second"})
    )
    assert again["yanked_reason"] == "second"
    assert (await json_files(api))[dists["2.0"].name] == "second"
    # DELETE .../yank un-yanks too; un-yanking twice is a no-op 200.
    assert (await ok(contributor.delete(version_url("foo-bar", "2.0", "yank"))))["yanked"] is False
    assert (await ok(contributor.post(version_url("foo-bar", "2.0", "unyank"))))["yanked"] is False


async def test_version_matched_by_canonical_form(
    api: httpx.AsyncClient, contributor: httpx.AsyncClient, dists: dict[str, Path]
) -> None:
    answer = await ok(contributor.post(version_url("FOO_bar", "2.00", "yank")))
    assert (answer["version"], answer["yanked"]) == ("2.0", True)
    answer = await ok(contributor.post(version_url("foo.bar", "2", "unyank")))
    assert (answer["version"], answer["yanked"]) == ("2.0", False)


async def test_a_cached_page_changes_at_once(
    api: httpx.AsyncClient, contributor: httpx.AsyncClient, dists: dict[str, Path]
) -> None:
    path = simple(FEED, "foo-bar/")
    before = await api.get(path, headers={**PLAIN, "Accept": JSON_V1})
    cached = await api.get(path, headers={**PLAIN, "Accept": JSON_V1})
    assert cached.content == before.content
    assert cached.headers["etag"] == before.headers["etag"]

    await ok(contributor.post(version_url("foo-bar", "2.0", "yank"), json={"reason": "bad"}))
    after = await api.get(path, headers={**PLAIN, "Accept": JSON_V1})
    assert after.headers["etag"] != before.headers["etag"]
    assert {f["filename"]: f["yanked"] for f in after.json()["files"]}[dists["2.0"].name] == "bad"
    stale = await api.get(
        path, headers={**PLAIN, "Accept": JSON_V1, "If-None-Match": before.headers["etag"]}
    )
    assert stale.status_code == 200

    # A no-op keeps the page (and its ETag) as it is.
    await ok(contributor.post(version_url("foo-bar", "1.0", "unyank")))
    same = await api.get(path, headers={**PLAIN, "Accept": JSON_V1})
    assert same.headers["etag"] == after.headers["etag"]

    await ok(contributor.post(version_url("foo-bar", "2.0", "unyank")))
    restored = await api.get(path, headers={**PLAIN, "Accept": JSON_V1})
    # The ETag is a digest of the page: the same content again has the same tag.
    assert restored.content == before.content
    assert restored.headers["etag"] == before.headers["etag"]
    assert {f["yanked"] for f in restored.json()["files"]} == {False}


async def test_reader_is_refused_with_the_role_sentence(
    api: httpx.AsyncClient, dists: dict[str, Path]
) -> None:
    async with await as_role(api, "rita", "reader", "packaging:manage") as reader:
        refused = await reader.post(version_url("foo-bar", "2.0", "yank"), json={"reason": "x"})
        assert_error(refused, 403, "You need the contributor role on feed acme/libs")
        assert_error(await reader.post(version_url("foo-bar", "2.0", "unyank")), 403, "contributor")
    assert (await json_files(api))[dists["2.0"].name] is False


async def test_read_token_of_a_contributor_is_capped(
    api: httpx.AsyncClient, dists: dict[str, Path]
) -> None:
    async with await as_role(api, "tom", "contributor", "packaging:read") as capped:
        refused = await capped.post(version_url("foo-bar", "2.0", "yank"))
        assert_error(refused, 403, "contributor", "packaging:read")


async def test_anonymous_gets_401_on_a_private_feed(
    anon: httpx.AsyncClient, dists: dict[str, Path]
) -> None:
    refused = await anon.post(version_url("foo-bar", "2.0", "yank"))
    assert refused.status_code == 401, refused.text


async def test_unknown_package_or_version_is_404(
    contributor: httpx.AsyncClient, dists: dict[str, Path]
) -> None:
    assert_error(
        await contributor.post(version_url("foo-bar", "3.0", "yank")),
        404,
        "Version 3.0 of Foo.Bar is not in feed acme/libs.",
    )
    assert_error(
        await contributor.post(version_url("foo-bar", "not-a-version", "unyank")),
        404,
        "not-a-version",
    )
    assert_error(
        await contributor.post(version_url("nope", "1.0", "yank")),
        404,
        "Package nope is not in feed acme/libs.",
    )


async def test_reason_is_limited_to_512_characters(
    api: httpx.AsyncClient, contributor: httpx.AsyncClient, dists: dict[str, Path]
) -> None:
    too_long = await contributor.post(
        version_url("foo-bar", "2.0", "yank"), json={"reason": "x" * 513}
    )
    assert_error(too_long, 400, "513 characters", "512")
    assert (await json_files(api))[dists["2.0"].name] is False
    longest = await ok(
        contributor.post(version_url("foo-bar", "2.0", "yank"), json={"reason": "y" * 512})
    )
    assert longest["yanked_reason"] == "y" * 512
    unknown_field = await contributor.post(
        version_url("foo-bar", "2.0", "yank"), json={"why": "typo"}
    )
    assert unknown_field.status_code == 400, unknown_field.text


async def test_project_scoped_feed(api: httpx.AsyncClient, tmp_path: Path) -> None:
    await ok(api.post("/_apis/organizations", json={"name": "acme"}), 201)
    await ok(api.post("/acme/_apis/projects", json={"name": "web"}), 201)
    await make_feed(api, "acme/web/apps")
    await publish(api, "acme/web/apps", build_wheel(tmp_path, "tool", "1.0"))
    url = "/acme/web/_apis/packaging/feeds/apps/packages/tool/versions/1.0/yank"
    assert (await ok(api.post(url, json={"reason": "why"})))["yanked_reason"] == "why"
    page = await api.get(simple("acme/web/apps", "tool/"), headers={"Accept": JSON_V1})
    assert [f["yanked"] for f in page.json()["files"]] == ["why"]
