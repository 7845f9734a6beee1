"""Batch operations on many versions: a result per version, roles per version, limits.

In-process on SQLite and PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.http.publishing import upload
from tests.http.rest_support import as_new_user, assert_error, create_feed, create_org, ok
from tests.support.dists import build_wheel

FEEDS = "/acme/_apis/packaging/feeds"
BATCH = FEEDS + "/libs/packages/batch"


def items(*pairs: str) -> list[dict[str, str]]:
    return [
        {"name": name, "version": version}
        for name, _, version in (p.partition("==") for p in pairs)
    ]


def results(body: dict[str, Any]) -> list[tuple[str, str, bool, int]]:
    return [(r["name"], r["version"], r["ok"], r["status"]) for r in body["results"]]


async def views_of(api: httpx.AsyncClient, name: str) -> dict[str, list[str]]:
    listed = await ok(api.get(f"{FEEDS}/libs/packages/{name}/versions"))
    return {v["version"]: v["views"] for v in listed["versions"]}


@pytest.fixture
async def feed(api: httpx.AsyncClient, tmp_path: Path) -> str:
    """acme/libs with a 1.0 and 2.0, b 1.0."""
    await create_org(api)
    await create_feed(api, "acme/libs")
    for name, version in (("a", "1.0"), ("a", "2.0"), ("b", "1.0")):
        response = await upload(api, "acme/libs", build_wheel(tmp_path, name, version))
        assert response.status_code == 200, response.text
    return "acme/libs"


async def user_with_role(api: httpx.AsyncClient, name: str, role: str) -> httpx.AsyncClient:
    client = await as_new_user(api, name, scope="packaging:write")
    await ok(api.put(f"{FEEDS}/libs/permissions/{name}", json={"role": role}))
    return client


async def test_mixed_results_in_order(api: httpx.AsyncClient, feed: str) -> None:
    await ok(
        api.post(
            BATCH, json={"operation": "promote", "view": "release", "versions": items("a==1.0")}
        )
    )
    body = {
        "operation": "promote",
        "view": "Release",
        "versions": items("a==1.0", "a==9.9", "b==1.0.0", "nope==1.0", "a==2.0"),
    }
    answer = await ok(api.post(BATCH, json=body))
    assert results(answer) == [
        ("a", "1.0", True, 200),  # promoted already: nothing changes, fine
        ("a", "9.9", False, 404),
        ("b", "1.0.0", True, 200),
        ("nope", "1.0", False, 404),
        ("a", "2.0", True, 200),
    ]
    assert answer["results"][0]["message"] is None
    assert "Version 9.9 of a is not in feed acme/libs" in answer["results"][1]["message"]
    assert await views_of(api, "a") == {"1.0": ["local", "release"], "2.0": ["local", "release"]}
    # An unknown view fails every version, each with the reason.
    unknown = await ok(
        api.post(
            BATCH,
            json={"operation": "promote", "view": "qa", "versions": items("a==1.0", "b==1.0")},
        )
    )
    assert [(r["ok"], r["status"]) for r in unknown["results"]] == [(False, 404), (False, 404)]
    assert all("qa" in r["message"] for r in unknown["results"])
    demoted = await ok(
        api.post(
            BATCH,
            json={"operation": "demote", "view": "release", "versions": items("a==1.0", "a==1.0")},
        )
    )
    assert results(demoted) == [("a", "1.0", True, 200), ("a", "1.0", False, 404)]


async def test_yank_delete_restore_purge(api: httpx.AsyncClient, feed: str) -> None:
    yanked = await ok(
        api.post(
            BATCH,
            json={"operation": "yank", "reason": "old", "versions": items("a==1.0", "b==1.0")},
        )
    )
    assert all(r["ok"] for r in yanked["results"])
    listed = await ok(api.get(f"{FEEDS}/libs/packages/a/versions"))
    assert {v["version"]: v["yanked_reason"] for v in listed["versions"]} == {
        "1.0": "old",
        "2.0": None,
    }
    await ok(api.post(BATCH, json={"operation": "unyank", "versions": items("a==1.0")}))
    purged_early = await ok(
        api.post(BATCH, json={"operation": "purge", "versions": items("a==1.0")})
    )
    assert results(purged_early) == [("a", "1.0", False, 409)]
    deleted = await ok(
        api.post(
            BATCH,
            json={"operation": "delete", "reason": "gone", "versions": items("a==1.0", "b==1.0")},
        )
    )
    assert all(r["ok"] for r in deleted["results"])
    restored = await ok(
        api.post(BATCH, json={"operation": "restore", "versions": items("a==1.0", "a==2.0")})
    )
    assert results(restored) == [("a", "1.0", True, 200), ("a", "2.0", False, 404)]
    purged = await ok(api.post(BATCH, json={"operation": "purge", "versions": items("b==1.0")}))
    assert results(purged) == [("b", "1.0", True, 200)]
    assert sorted(await views_of(api, "a")) == ["1.0", "2.0"]


async def test_roles_apply_per_version(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, feed: str
) -> None:
    contributor = await user_with_role(api, "carl", "contributor")
    reader = await user_with_role(api, "rita", "reader")
    stranger = await as_new_user(api, "sam")
    async with contributor, reader, stranger:
        promoted = await ok(
            contributor.post(
                BATCH, json={"operation": "promote", "view": "release", "versions": items("a==1.0")}
            )
        )
        assert results(promoted) == [("a", "1.0", True, 200)]
        for operation in ("demote", "delete"):
            body: dict[str, Any] = {"operation": operation, "versions": items("a==1.0")}
            if operation == "demote":
                body["view"] = "release"
            refused = await ok(contributor.post(BATCH, json=body))
            assert results(refused) == [("a", "1.0", False, 403)]
            assert "owner" in refused["results"][0]["message"]
        by_reader = await ok(
            reader.post(BATCH, json={"operation": "yank", "versions": items("a==1.0")})
        )
        assert results(by_reader) == [("a", "1.0", False, 403)]
        assert_error(
            await stranger.post(BATCH, json={"operation": "yank", "versions": items("a==1.0")}), 404
        )
    assert_error(
        await anon.post(BATCH, json={"operation": "yank", "versions": items("a==1.0")}), 401
    )
    assert await views_of(api, "a") == {"1.0": ["local", "release"], "2.0": ["local"]}


async def test_whole_request_errors(api: httpx.AsyncClient, feed: str) -> None:
    one = items("a==1.0")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"operation": "promote", "view": "release", "versions": []}, "1 to 500"),
        ({"operation": "unyank", "versions": one * 501}, "1 to 500"),
        ({"operation": "frobnicate", "versions": one}, "operation"),
        ({"operation": "promote", "versions": one}, "view"),
        ({"operation": "demote", "view": " ", "versions": one}, "view"),
        ({"operation": "yank", "view": "release", "versions": one}, "only to promote and demote"),
        ({"operation": "promote", "view": "release", "reason": "x", "versions": one}, "reason"),
        ({"operation": "yank", "versions": [{"name": "a"}]}, "version"),
        ({"operation": "yank", "versions": one, "extra": 1}, "extra"),
    ]
    for body, fragment in cases:
        assert_error(await api.post(BATCH, json=body), 400, fragment)
    assert_error(
        await api.post(
            FEEDS + "/missing/packages/batch", json={"operation": "yank", "versions": one}
        ),
        404,
    )
    assert_error(
        await api.post(
            FEEDS + "/libs@release/packages/batch", json={"operation": "yank", "versions": one}
        ),
        400,
    )
    # A reason too long fails each version, not the request.
    long = await ok(
        api.post(BATCH, json={"operation": "yank", "reason": "x" * 600, "versions": one})
    )
    assert results(long) == [("a", "1.0", False, 400)]
    # 500 is fine.
    many = await ok(api.post(BATCH, json={"operation": "unyank", "versions": one * 500}))
    assert len(many["results"]) == 500
    assert all(r["ok"] for r in many["results"])
