"""Views of a feed: management, promotion and demotion, and reading through ``FEED@VIEW``.

In-process on SQLite and PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.http.publishing import upload
from tests.http.rest_support import (
    as_new_user,
    assert_error,
    client_with,
    create_feed,
    create_org,
    ok,
)
from tests.support.dists import build_wheel

FEEDS = "/acme/_apis/packaging/feeds"
VIEWS = FEEDS + "/libs/views"
JSON = {"Accept": "application/vnd.pypi.simple.v1+json"}


def index(feed: str, rest: str = "") -> str:
    return f"/acme/_packaging/{feed}/pypi/simple/{rest}"


def version_url(version: str, action: str, feed: str = "libs") -> str:
    return f"{FEEDS}/{feed}/packages/pkg/versions/{version}/{action}"


@pytest.fixture
async def wheels(tmp_path: Path) -> dict[str, Path]:
    return {v: build_wheel(tmp_path, "pkg", v) for v in ("1.0", "2.0")}


@pytest.fixture
async def feed(api: httpx.AsyncClient, wheels: dict[str, Path]) -> str:
    """acme/libs (private) with pkg 1.0 and 2.0 published."""
    await create_org(api)
    await create_feed(api, "acme/libs")
    for wheel in wheels.values():
        published = await upload(api, "acme/libs", wheel)
        assert published.status_code == 200, published.text
    return "acme/libs"


async def user_with_role(api: httpx.AsyncClient, name: str, role: str) -> httpx.AsyncClient:
    client = await as_new_user(api, name)
    await ok(api.put(f"{FEEDS}/libs/permissions/{name}", json={"role": role}))
    return client


async def versions_in(client: httpx.AsyncClient, feed: str) -> list[str]:
    page = await client.get(index(feed, "pkg/"), headers=JSON)
    assert page.status_code == 200, page.text
    versions: list[str] = page.json()["versions"]
    return versions


async def test_every_feed_has_local_prerelease_and_release(
    api: httpx.AsyncClient, feed: str
) -> None:
    views = await ok(api.get(VIEWS))
    assert [v["name"] for v in views] == ["local", "prerelease", "release"]
    assert views[0]["versions"] == 2
    assert views[1]["versions"] == 0
    assert all(v["visibility"] is None for v in views)
    assert all(v["effective_visibility"] == "private" for v in views)


async def test_owners_create_rename_and_delete_views(api: httpx.AsyncClient, feed: str) -> None:
    created = await ok(api.post(VIEWS, json={"name": "staging"}), 201)
    assert created["name"] == "staging"
    assert_error(await api.post(VIEWS, json={"name": "Staging"}), 409, "already has a view")
    for bad in ("local", "LOCAL", "a@b", ""):
        assert_error(await api.post(VIEWS, json={"name": bad}), 400)
    assert_error(await api.patch(VIEWS + "/local", json={"name": "x"}), 400, "local")
    assert_error(await api.delete(VIEWS + "/local"), 400, "local")
    assert_error(await api.patch(VIEWS + "/staging", json={"name": "release"}), 409)
    renamed = await ok(api.patch(VIEWS + "/staging", json={"name": "qa"}))
    assert renamed["name"] == "qa"
    assert_error(await api.patch(VIEWS + "/staging", json={"name": "x"}), 404, "staging")
    await ok(api.delete(VIEWS + "/qa"), 204)
    assert_error(await api.delete(VIEWS + "/qa"), 404, "View qa does not exist")
    names = [v["name"] for v in await ok(api.get(VIEWS))]
    assert names == ["local", "prerelease", "release"]
    # Views are managed on the feed, not through a view.
    assert_error(await api.get(FEEDS + "/libs@release/views"), 400)


async def test_only_owners_manage_views(api: httpx.AsyncClient, feed: str) -> None:
    contributor = await user_with_role(api, "carl", "contributor")
    reader = await user_with_role(api, "rita", "reader")
    async with contributor, reader:
        assert len(await ok(reader.get(VIEWS))) == 3
        assert_error(await contributor.post(VIEWS, json={"name": "x"}), 403, "owner")
        assert_error(await contributor.delete(VIEWS + "/release"), 403, "owner")
        assert_error(await reader.patch(VIEWS + "/release", json={"name": "x"}), 403)


async def test_contributors_promote_owners_demote(api: httpx.AsyncClient, feed: str) -> None:
    contributor = await user_with_role(api, "carl", "contributor")
    reader = await user_with_role(api, "rita", "reader")
    async with contributor, reader:
        assert_error(
            await reader.post(version_url("1.0", "promote"), json={"view": "release"}), 403
        )
        promoted = await ok(
            contributor.post(version_url("1.0.0", "promote"), json={"view": "Release"})
        )
        assert promoted == {
            "feed": "acme/libs",
            "view": "release",
            "name": "pkg",
            "version": "1.0",
            "promoted": True,
        }
        # Again: nothing changes.
        await ok(contributor.post(version_url("1.0", "promote"), json={"view": "release"}))
        assert_error(
            await contributor.post(version_url("1.0", "demote"), json={"view": "release"}),
            403,
            "owner",
        )
    listed = await ok(api.get(FEEDS + "/libs/packages/pkg/versions"))
    assert {v["version"]: v["views"] for v in listed["versions"]} == {
        "1.0": ["local", "release"],
        "2.0": ["local"],
    }
    assert_error(await api.post(version_url("1.0", "promote"), json={"view": "local"}), 400)
    assert_error(await api.post(version_url("9.9", "promote"), json={"view": "release"}), 404)
    assert_error(await api.post(version_url("1.0", "promote"), json={"view": "nope"}), 404)
    demoted = await ok(api.post(version_url("1.0", "demote"), json={"view": "release"}))
    assert demoted["promoted"] is False
    assert_error(
        await api.post(version_url("1.0", "demote"), json={"view": "release"}), 404, "not in view"
    )


async def test_a_view_lists_and_serves_only_promoted_versions(
    api: httpx.AsyncClient, feed: str, wheels: dict[str, Path]
) -> None:
    assert_error(await api.get(index("libs@release", "pkg/")), 404)
    assert await versions_in(api, "libs") == ["1.0", "2.0"]
    await ok(api.post(version_url("1.0", "promote"), json={"view": "release"}))
    assert await versions_in(api, "libs@release") == ["1.0"]
    assert await versions_in(api, "libs@local") == ["1.0", "2.0"]
    assert await versions_in(api, "libs") == ["1.0", "2.0"]
    listing = await api.get(index("libs@release"), headers=JSON)
    assert [p["name"] for p in listing.json()["projects"]] == ["pkg"]
    empty = await api.get(index("libs@prerelease"), headers=JSON)
    assert empty.json()["projects"] == []
    one, two = wheels["1.0"].name, wheels["2.0"].name
    got = await api.get(index("libs@release", f"pkg/{one}"))
    assert got.status_code == 200
    assert got.content == wheels["1.0"].read_bytes()
    assert (await api.get(index("libs@release", f"pkg/{one}.metadata"))).status_code == 200
    assert_error(await api.get(index("libs@release", f"pkg/{two}")), 404, "not in view")
    assert_error(await api.get(index("libs@release", f"pkg/{two}.metadata")), 404)
    assert (await api.get(index("libs", f"pkg/{two}"))).status_code == 200
    # Promoting more changes the view's page (and its cache entry) at once.
    await ok(api.post(version_url("2.0", "promote"), json={"view": "release"}))
    assert await versions_in(api, "libs@release") == ["1.0", "2.0"]
    await ok(api.post(version_url("2.0", "demote"), json={"view": "release"}))
    assert await versions_in(api, "libs@release") == ["1.0"]
    # A renamed view answers under its new name only.
    await ok(api.patch(VIEWS + "/release", json={"name": "stable"}))
    assert await versions_in(api, "libs@stable") == ["1.0"]
    assert_error(await api.get(index("libs@release", "pkg/")), 404, "View release")
    # Uploads go to feeds, never to views.
    refused = await upload(api, "acme/libs@stable", wheels["1.0"])
    assert refused.status_code in (400, 404), refused.text


async def test_an_organization_view_of_a_private_feed(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, feed: str
) -> None:
    member = await as_new_user(api, "mia")
    await ok(api.put("/_apis/organizations/acme/members/mia", json={"role": "member"}))
    outsider = await as_new_user(api, "otto")
    await ok(api.post(version_url("1.0", "promote"), json={"view": "release"}))
    async with member, outsider:
        assert_error(await member.get(index("libs@release", "pkg/")), 404)
        changed = await ok(api.patch(VIEWS + "/release", json={"visibility": "organization"}))
        assert changed["visibility"] == "organization"
        assert changed["effective_visibility"] == "organization"
        assert await versions_in(member, "libs@release") == ["1.0"]
        assert (await member.get(index("libs", "pkg/"))).status_code == 404
        assert (await member.get(index("libs@prerelease", "pkg/"))).status_code == 404
        assert (await outsider.get(index("libs@release", "pkg/"))).status_code == 404
        assert (await anon.get(index("libs@release", "pkg/"))).status_code == 401
        # Back to the feed's visibility.
        await ok(api.patch(VIEWS + "/release", json={"visibility": None}))
        assert (await member.get(index("libs@release", "pkg/"))).status_code == 404


async def test_a_public_view_reads_anonymously(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, feed: str, wheels: dict[str, Path]
) -> None:
    await ok(api.post(VIEWS, json={"name": "shared", "visibility": "public"}), 201)
    await ok(api.post(version_url("1.0", "promote"), json={"view": "shared"}))
    assert await versions_in(anon, "libs@shared") == ["1.0"]
    page = await anon.get(index("libs@shared", "pkg/"))
    assert page.headers["cache-control"].startswith("max-age=0")
    got = await anon.get(index("libs@shared", f"pkg/{wheels['1.0'].name}"))
    assert got.status_code == 200
    assert (await anon.get(index("libs@shared", f"pkg/{wheels['2.0'].name}"))).status_code == 404
    assert (await anon.get(index("libs", "pkg/"))).status_code == 401
    assert (await anon.get(index("libs@release", "pkg/"))).status_code == 401
    assert (await anon.get(index("libs@nope", "pkg/"))).status_code == 401
    # Nobody outside manages it.
    async with client_with(api, None) as nobody:
        assert (await nobody.post(VIEWS, json={"name": "x"})).status_code == 401


async def test_upstream_through_a_view_shows_only_promoted_files(
    api: httpx.AsyncClient, feed: str, wheels: dict[str, Path]
) -> None:
    await ok(api.post(version_url("1.0", "promote"), json={"view": "release"}))
    apps = await ok(
        api.post(
            FEEDS,
            json={"name": "apps", "upstreams": [{"name": "libs", "feed": "acme/libs@Release"}]},
        ),
        201,
    )
    assert apps["name"] == "apps"
    sources = await ok(api.get(FEEDS + "/apps/upstreams"))
    assert sources[0]["feed"] == "acme/libs@release"
    assert await versions_in(api, "apps") == ["1.0"]
    # Saving through the view: the promoted file installs, the other one is not there.
    got = await api.get(index("apps", f"pkg/{wheels['1.0'].name}"))
    assert got.status_code == 200
    assert got.content == wheels["1.0"].read_bytes()
    assert (await api.get(index("apps", f"pkg/{wheels['2.0'].name}"))).status_code == 404
    # A view that does not exist is refused as a source.
    assert_error(
        await api.post(FEEDS + "/apps/upstreams", json={"name": "x", "feed": "acme/libs@nope"}),
        400,
        "View nope",
    )
    # Promotions show downstream; renaming the view keeps the source working.
    await ok(api.post(version_url("2.0", "promote"), json={"view": "release"}))
    assert await versions_in(api, "apps") == ["1.0", "2.0"]
    await ok(api.patch(VIEWS + "/release", json={"name": "stable"}))
    sources = await ok(api.get(FEEDS + "/apps/upstreams"))
    assert sources[0]["feed"] == "acme/libs@stable"
    # A view in use as a source cannot be deleted.
    assert_error(await api.delete(VIEWS + "/stable"), 409, "acme/apps")


@pytest.mark.parametrize(("name", "written"), [("ÄRGER", "ärger"), ("Straße", "STRASSE")])
async def test_an_upstream_follows_a_view_with_a_non_ascii_name(
    api: httpx.AsyncClient, feed: str, name: str, written: str
) -> None:
    """The upstream's view is matched by its casefold, stored: SQL ``lower`` would miss
    ``Ä`` on SQLite and ``ß`` everywhere, losing the source on a rename and the guard on
    a delete."""
    await ok(api.post(VIEWS, json={"name": name}), 201)
    await ok(
        api.post(
            FEEDS,
            json={"name": "apps", "upstreams": [{"name": "libs", "feed": f"acme/libs@{written}"}]},
        ),
        201,
    )
    sources = await ok(api.get(FEEDS + "/apps/upstreams"))
    assert sources[0]["feed"] == f"acme/libs@{name}"
    renamed = await ok(api.patch(VIEWS + f"/{written}", json={"name": "Qualität"}))
    assert renamed["name"] == "Qualität"
    sources = await ok(api.get(FEEDS + "/apps/upstreams"))
    assert sources[0]["feed"] == "acme/libs@Qualität"
    assert_error(await api.delete(VIEWS + "/QUALITÄT"), 409, "acme/apps")
    await ok(api.delete(FEEDS + "/apps/upstreams/libs"), 204)
    await ok(api.delete(VIEWS + "/QUALITÄT"), 204)
