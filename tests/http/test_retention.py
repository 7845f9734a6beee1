"""Retention policies through the REST API: set, dry run, run; on versions of known ages."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from quiver.api.negotiation import JSON_V1
from quiver.db.base import utcnow
from quiver.domain.events import SERVER_ACTOR
from quiver.services.changes.models import FeedEvent
from quiver.services.packages.models import File, Package, Version
from quiver.services.retention.service import run_all
from tests.http.publishing import context_of, make_feed
from tests.http.rest_support import as_new_user, assert_error, ok
from tests.http.simple_support import FEED, publish, simple
from tests.support.dists import build_wheel

RETENTION = "/acme/_apis/packaging/feeds/libs/retention"
VERSIONS = "/acme/_apis/packaging/feeds/libs/packages/{name}/versions"
DAY = timedelta(days=1)

# version: (added days ago, last downloaded days ago or None, download count)
AGES: dict[str, tuple[int, int | None, int]] = {
    "0.8": (350, 45, 2),
    "0.9": (400, None, 0),
    "1.0": (300, 90, 1),  # promoted to release below
    "1.1": (200, 3, 7),
    "2.0": (100, 60, 4),
    "3.0": (1, None, 0),
}


def day(days_ago: int) -> str:
    return f"{utcnow() - days_ago * DAY:%Y-%m-%d}"


@pytest.fixture
async def feed(api: httpx.AsyncClient, tmp_path: Path) -> None:
    """``acme/libs`` with Foo.Bar at the ages of AGES, 1.0 promoted, and Other 0.1 (old)."""
    await make_feed(api, FEED)
    wheels = [build_wheel(tmp_path, "Foo.Bar", version) for version in AGES]
    await publish(api, FEED, *wheels, build_wheel(tmp_path, "Other", "0.1"))
    now = utcnow()
    async with context_of(api).sessions() as session, session.begin():
        for version, (added, downloaded, count) in {**AGES, "0.1": (500, None, 0)}.items():
            vid = await session.scalar(select(Version.id).where(Version.version == version))
            await session.execute(
                update(Version).where(Version.id == vid).values(created_at=now - added * DAY)
            )
            last = None if downloaded is None else now - downloaded * DAY
            await session.execute(
                update(File)
                .where(File.version_id == vid)
                .values(download_count=count, last_download_at=last)
            )
    url = VERSIONS.format(name="foo-bar") + "/1.0/promote"
    await ok(api.post(url, json={"view": "release"}))


async def index_versions(api: httpx.AsyncClient, name: str = "foo-bar") -> list[str]:
    page = await api.get(simple(FEED, f"{name}/"), headers={"Accept": JSON_V1})
    assert page.status_code == 200, page.text
    return sorted(page.json()["versions"])


async def deleted_versions(api: httpx.AsyncClient) -> set[str]:
    async with context_of(api).sessions() as session:
        rows = await session.scalars(select(Version.version).where(Version.deleted_at.is_not(None)))
        return set(rows)


async def events(api: httpx.AsyncClient, kind: str) -> list[FeedEvent]:
    async with context_of(api).sessions() as session:
        rows = await session.scalars(
            select(FeedEvent).where(FeedEvent.kind == kind).order_by(FeedEvent.seq)
        )
        return list(rows)


def policy(max_versions: int | None, days: int | None) -> dict[str, int | None]:
    return {"max_versions": max_versions, "days": days}


def reasons(items: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    return {(item["name"], item["version"]): item["reason"] for item in items}


EXPECTED_GOING = {
    ("Foo.Bar", "0.9"): "older than the 2 newest versions; "
    f"never downloaded; added {day(400)}, more than 30 days ago",
    ("Foo.Bar", "0.8"): "older than the 2 newest versions; "
    f"last downloaded {day(45)}, more than 30 days ago",
}


async def test_dry_run_then_run(api: httpx.AsyncClient, feed: None) -> None:
    assert await ok(api.get(RETENTION)) == {"max_versions": None, "days": None}
    nothing = await ok(api.post(RETENTION + "/run", params={"dryRun": "true"}))
    assert nothing["would_delete"] == []
    assert {item["reason"] for item in nothing["kept"]} >= {"no retention policy"}

    wanted = await ok(api.put(RETENTION, json={"max_versions": 2, "days": 30}))
    assert wanted == policy(2, 30)
    assert await ok(api.get(RETENTION)) == wanted

    dry = await ok(api.post(RETENTION + "/run", params={"dryRun": "true"}))
    assert dry["dry_run"] is True
    assert dry["policy"] == wanted
    assert "deleted" not in dry
    assert reasons(dry["would_delete"]) == EXPECTED_GOING
    assert [item["version"] for item in dry["would_delete"]] == ["0.9", "0.8"]
    assert reasons(dry["kept"]) == {
        ("Foo.Bar", "3.0"): "one of the 2 newest versions; "
        f"never downloaded; added {day(1)}, within the last 30 days",
        ("Foo.Bar", "2.0"): "one of the 2 newest versions",
        ("Foo.Bar", "1.1"): f"last downloaded {day(3)}, within the last 30 days",
        ("Foo.Bar", "1.0"): "promoted to release",
        ("Other", "0.1"): "one of the 2 newest versions",
    }
    # A dry run changes nothing.
    assert await deleted_versions(api) == set()
    assert await index_versions(api) == ["0.8", "0.9", "1.0", "1.1", "2.0", "3.0"]
    assert await events(api, "delete") == []

    done = await ok(api.post(RETENTION + "/run", params={"dryRun": "false"}))
    assert done["dry_run"] is False
    assert "would_delete" not in done
    assert reasons(done["deleted"]) == EXPECTED_GOING
    assert reasons(done["kept"]) == reasons(dry["kept"])
    assert await deleted_versions(api) == {"0.8", "0.9"}
    assert await index_versions(api) == ["1.0", "1.1", "2.0", "3.0"]
    deletions = await events(api, "delete")
    assert [(e.package, e.version, e.actor) for e in deletions] == [
        ("Foo.Bar", "0.9", "admin"),
        ("Foo.Bar", "0.8", "admin"),
    ]
    expected = "Retention policy: " + EXPECTED_GOING["Foo.Bar", "0.9"]
    assert deletions[0].detail == {"reason": expected}

    # Versions in the bin are not counted again: a second run deletes nothing.
    again = await ok(api.post(RETENTION + "/run"))
    assert again["deleted"] == []
    assert len(await events(api, "delete")) == 2


async def test_each_condition_alone(api: httpx.AsyncClient, feed: None) -> None:
    await ok(api.put(RETENTION, json={"max_versions": 3}))
    dry = await ok(api.post(RETENTION + "/run?dryRun=true"))
    assert {item["version"] for item in dry["would_delete"]} == {"0.8", "0.9"}
    assert reasons(dry["would_delete"])["Foo.Bar", "0.9"] == "older than the 3 newest versions"

    # Only days: 2.0 (unused for 60 days) would go too; 1.0 stays, promoted.
    assert await ok(api.put(RETENTION, json={"max_versions": None, "days": 30})) == {
        "max_versions": None,
        "days": 30,
    }
    dry = await ok(api.post(RETENTION + "/run?dryRun=true"))
    assert {item["version"] for item in dry["would_delete"]} == {"0.8", "0.9", "2.0", "0.1"}


async def test_setting_the_policy_is_recorded(api: httpx.AsyncClient, feed: None) -> None:
    await ok(api.put(RETENTION, json={"max_versions": 5}))
    await ok(api.put(RETENTION, json={"days": 10}))  # max_versions left as it is
    assert await ok(api.get(RETENTION)) == {"max_versions": 5, "days": 10}
    await ok(api.put(RETENTION, json={"days": 10}))  # no change, no event
    await ok(api.put(RETENTION, json={"max_versions": None}))
    assert await ok(api.get(RETENTION)) == {"max_versions": None, "days": 10}
    recorded = await events(api, "retention-set")
    assert [e.detail for e in recorded] == [
        {"before": policy(None, None), "after": policy(5, None)},
        {"before": policy(5, None), "after": policy(5, 10)},
        {"before": policy(5, 10), "after": policy(None, 10)},
    ]
    assert {e.actor for e in recorded} == {"admin"}


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"max_versions": 0}, "max_versions must be between 1"),
        ({"days": -1}, "days must be between 1"),
        ({"days": 10**6}, "days must be between 1 and 36500"),
        ({"max_versions": "many"}, "max_versions"),
        ({"keep": 3}, "keep"),
    ],
)
async def test_invalid_policies_are_refused(
    api: httpx.AsyncClient, feed: None, body: dict[str, Any], fragment: str
) -> None:
    assert_error(await api.put(RETENTION, json=body), 400, fragment)
    assert await ok(api.get(RETENTION)) == {"max_versions": None, "days": None}


async def test_views_are_not_managed(api: httpx.AsyncClient, feed: None) -> None:
    url = "/acme/_apis/packaging/feeds/libs@release/retention"
    assert_error(await api.get(url), 400, "without '@release'")


async def test_only_owners_set_and_run(api: httpx.AsyncClient, feed: None) -> None:
    await ok(api.put(RETENTION, json={"max_versions": 1}))
    for user, role in (("rita", "reader"), ("cora", "contributor")):
        client = await as_new_user(api, user, scope="packaging:write")
        grant = f"/acme/_apis/packaging/feeds/libs/permissions/{user}"
        await ok(api.put(grant, json={"role": role}))
        async with client:
            assert await ok(client.get(RETENTION)) == {"max_versions": 1, "days": None}
            assert_error(await client.put(RETENTION, json={"days": 3}), 403, "owner")
            assert_error(await client.post(RETENTION + "/run?dryRun=true"), 403, "owner")
            assert_error(await client.post(RETENTION + "/run"), 403, "owner")
    async with await as_new_user(api, "nobody") as stranger:
        assert_error(await stranger.get(RETENTION), 404)
    assert await deleted_versions(api) == set()


async def test_scheduled_run_acts_as_the_server(api: httpx.AsyncClient, feed: None) -> None:
    await ok(api.put(RETENTION, json={"max_versions": 2, "days": 30}))
    assert await run_all(context_of(api)) == 2
    assert await index_versions(api) == ["1.0", "1.1", "2.0", "3.0"]
    assert {(e.version, e.actor) for e in await events(api, "delete")} == {
        ("0.8", SERVER_ACTOR),
        ("0.9", SERVER_ACTOR),
    }
    assert await run_all(context_of(api)) == 0


async def test_new_downloads_are_flushed_before_the_run(
    api: httpx.AsyncClient, feed: None, tmp_path: Path
) -> None:
    await ok(api.put(RETENTION, json={"max_versions": 2, "days": 30}))
    wheel = build_wheel(tmp_path, "Foo.Bar", "0.9")
    response = await api.get(simple(FEED, f"foo-bar/{wheel.name}"))
    assert response.status_code == 200
    # The download is only in memory; the run flushes it first, so 0.9 stays.
    dry = await ok(api.post(RETENTION + "/run?dryRun=true"))
    assert {item["version"] for item in dry["would_delete"]} == {"0.8"}
    async with context_of(api).sessions() as session:
        count = await session.scalar(
            select(File.download_count)
            .join(Version, Version.id == File.version_id)
            .join(Package, Package.id == Version.package_id)
            .where(Version.version == "0.9", Package.normalized_name == "foo-bar")
        )
    assert count == 1
