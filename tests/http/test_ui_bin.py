"""A feed's retention, recycle-bin, change-log and delete pages, in process.

Owners (here the administrator alice, signed in through the form) preview and apply the
retention policy, restore and purge versions, read the audit log newest first and delete
the feed by typing its name; a reader gets 403 on all of it but the change feed.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from quiver.api.ui import bin_history
from quiver.api.ui.bin_history import newest_first
from quiver.services.changes.records import Page
from tests.http.publishing import make_feed
from tests.http.rest_support import ok
from tests.http.simple_support import publish
from tests.http.ui_support import ORIGIN, post_form, sign_in, user_with_password
from tests.support.dists import build_wheel

FEED = "acme/libs"
PAGE = "/acme/_artifacts/feed/libs"
SETTINGS = PAGE + "/settings"
REST = "/acme/_apis/packaging/feeds/libs"
INDEX = "/acme/_packaging/libs/pypi/simple/foo/"


def rows(page: str, table: str) -> list[list[str]]:
    """The cells' text of each body row of the table with id ``table``."""
    found = re.search(rf'<table[^>]*id="{table}".*?<tbody>(.*?)</tbody>', page, re.S)
    assert found is not None, page
    result = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(1), re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        result.append([html.unescape(re.sub(r"<[^>]+>", " ", cell)).split() for cell in cells])
    return [[" ".join(words) for words in row] for row in result]


async def index_versions(api: httpx.AsyncClient) -> set[str]:
    page = await api.get(INDEX, headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    assert page.status_code == 200, page.text
    return set(page.json()["versions"])


async def bin_versions(api: httpx.AsyncClient) -> set[str]:
    return {entry["version"] for entry in await ok(api.get(REST + "/recycle-bin"))}


@pytest.fixture
async def owner(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, tmp_path: Path
) -> httpx.AsyncClient:
    """``anon`` signed in as alice (an administrator), with ``acme/libs`` holding foo 1.0,
    2.0 and 3.0 (one wheel each)."""
    await user_with_password(api)
    await make_feed(api, FEED)
    await publish(api, FEED, *(build_wheel(tmp_path, "foo", v) for v in ("1.0", "2.0", "3.0")))
    assert (await sign_in(anon)).status_code == 303
    return anon


@pytest.fixture
async def reader(
    api: httpx.AsyncClient, owner: httpx.AsyncClient
) -> AsyncIterator[httpx.AsyncClient]:
    """A browser signed in as bob, a reader of ``acme/libs``."""
    await user_with_password(api, "bob", admin=False)
    await ok(api.put(REST + "/permissions/bob", json={"role": "reader"}))
    async with httpx.AsyncClient(transport=api._transport, base_url=api.base_url) as client:
        assert (await sign_in(client, username="bob")).status_code == 303
        yield client


async def test_retention_preview_lists_what_would_go_and_deletes_nothing(
    api: httpx.AsyncClient, owner: httpx.AsyncClient
) -> None:
    saved = await post_form(
        owner,
        SETTINGS + "/retention",
        SETTINGS + "/retention",
        {"max_versions": "1", "days": ""},
        confirmed=False,
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == SETTINGS + "/retention?preview=1"
    assert await ok(api.get(REST + "/retention")) == {"max_versions": 1, "days": None}

    preview = await owner.get(saved.headers["location"])
    assert preview.status_code == 200
    assert "Retention policy saved: keep at most 1 versions per package." in preview.text
    assert 'aria-current="page">Retention' in preview.text
    shown = rows(preview.text, "would-delete")
    dry = await ok(api.post(REST + "/retention/run", params={"dryRun": "true"}))
    expected = [["foo", item["version"], item["reason"]] for item in dry["would_delete"]]
    assert sorted(shown) == sorted(expected)
    assert {row[1] for row in shown} == {"1.0", "2.0"}
    assert await index_versions(api) == {"1.0", "2.0", "3.0"}
    assert await bin_versions(api) == set()

    # Applying asks first, and the question changes nothing.
    asked = await post_form(
        owner, SETTINGS + "/retention", SETTINGS + "/retention/run", confirmed=False
    )
    assert asked.status_code == 200
    assert "2 versions would move to the recycle bin now" in asked.text
    assert await bin_versions(api) == set()
    applied = await post_form(owner, SETTINGS + "/retention", SETTINGS + "/retention/run")
    assert applied.status_code == 303
    assert applied.headers["location"] == SETTINGS + "/recycle-bin"
    assert await bin_versions(api) == {"1.0", "2.0"}
    assert await index_versions(api) == {"3.0"}


@pytest.mark.parametrize(
    ("fields", "status", "fragment"),
    [
        ({"max_versions": "many"}, 400, "give a whole number"),
        ({"max_versions": "-3"}, 400, "give a whole number"),
        ({"max_versions": "9" * 5000}, 400, "give a whole number"),
        ({"max_versions": "0"}, 400, "between 1 and"),
        ({"days": "999999"}, 400, "between 1 and"),
    ],
)
async def test_retention_form_refuses_bad_numbers(
    api: httpx.AsyncClient,
    owner: httpx.AsyncClient,
    fields: dict[str, str],
    status: int,
    fragment: str,
) -> None:
    await ok(api.put(REST + "/retention", json={"max_versions": 5, "days": 30}))
    refused = await post_form(
        owner, SETTINGS + "/retention", SETTINGS + "/retention", fields, confirmed=False
    )
    assert refused.status_code == status
    assert fragment in html.unescape(refused.text)
    assert await ok(api.get(REST + "/retention")) == {"max_versions": 5, "days": 30}
    # A field left out stays as it was; an empty one clears its condition.
    kept = await post_form(
        owner, SETTINGS + "/retention", SETTINGS + "/retention", {"days": ""}, confirmed=False
    )
    assert kept.status_code == 303
    assert await ok(api.get(REST + "/retention")) == {"max_versions": 5, "days": None}


async def test_recycle_bin_restore_and_purge(
    api: httpx.AsyncClient, owner: httpx.AsyncClient
) -> None:
    empty = await owner.get(SETTINGS + "/recycle-bin")
    assert empty.status_code == 200 and "The recycle bin is empty." in empty.text
    for version in ("1.0", "2.0"):
        await ok(api.delete(REST + f"/packages/foo/versions/{version}"))
    listed = await owner.get(SETTINGS + "/recycle-bin")
    shown = rows(listed.text, "bin")
    assert [row[:2] for row in shown] == [["foo", "1.0"], ["foo", "2.0"]]
    rest = await ok(api.get(REST + "/recycle-bin"))
    assert shown[0][3] == (rest[0]["deleted_by"] or "—")
    assert shown[0][4] == rest[0]["purge_after"][:10]

    restore = SETTINGS + "/recycle-bin/restore"
    asked = await post_form(
        owner,
        SETTINGS + "/recycle-bin",
        restore,
        {"package": "foo", "version": "1.0"},
        confirmed=False,
    )
    assert asked.status_code == 200 and "Restore foo 1.0?" in asked.text
    assert await bin_versions(api) == {"1.0", "2.0"}
    done = await post_form(
        owner, SETTINGS + "/recycle-bin", restore, {"package": "foo", "version": "1.0"}
    )
    assert done.status_code == 303
    assert await index_versions(api) == {"1.0", "3.0"}
    after = await owner.get(done.headers["location"])
    assert "Restored foo 1.0: installs find it again." in after.text
    assert [row[:2] for row in rows(after.text, "bin")] == [["foo", "2.0"]]

    purge = SETTINGS + "/recycle-bin/purge"
    asked = await post_form(
        owner,
        SETTINGS + "/recycle-bin",
        purge,
        {"package": "foo", "version": "2.0"},
        confirmed=False,
    )
    assert asked.status_code == 200 and "Purge foo 2.0 for good?" in asked.text
    assert await bin_versions(api) == {"2.0"}
    gone = await post_form(
        owner, SETTINGS + "/recycle-bin", purge, {"package": "foo", "version": "2.0"}
    )
    assert gone.status_code == 303
    assert await bin_versions(api) == set()
    final = await owner.get(SETTINGS + "/recycle-bin")
    assert "Purged foo 2.0 for good." in final.text and "The recycle bin is empty." in final.text
    assert await index_versions(api) == {"1.0", "3.0"}


@pytest.mark.parametrize(
    ("action", "fields", "status"),
    [
        ("purge", {"package": "foo", "version": "3.0"}, 409),  # not in the bin
        ("purge", {"package": "foo", "version": "7.0"}, 404),
        ("restore", {"package": "foo", "version": "3.0"}, 404),
        ("restore", {"package": "nope", "version": "1.0"}, 404),
        ("restore", {"package": "foo", "version": "1" * 150}, 404),  # the service decides
        ("purge", {"package": "foo"}, 400),
        ("purge", {"package": "", "version": "1.0"}, 400),
        ("restore", {"package": "x" * 300, "version": "1.0"}, 400),
    ],
)
async def test_bin_actions_refuse_bad_values(
    api: httpx.AsyncClient,
    owner: httpx.AsyncClient,
    action: str,
    fields: dict[str, str],
    status: int,
) -> None:
    await ok(api.delete(REST + "/packages/foo/versions/1.0"))
    refused = await post_form(
        owner, SETTINGS + "/recycle-bin", SETTINGS + f"/recycle-bin/{action}", fields
    )
    assert refused.status_code == status, refused.text
    assert await bin_versions(api) == {"1.0"}
    assert await index_versions(api) == {"2.0", "3.0"}


async def test_changes_page_shows_the_audit_log_newest_first_in_pages(
    api: httpx.AsyncClient, owner: httpx.AsyncClient, reader: httpx.AsyncClient
) -> None:
    versions = REST + "/packages/foo/versions"
    for _ in range(28):  # 56 events: more than one page of 50
        await ok(api.post(versions + "/1.0/yank", json={"reason": "slow"}))
        await ok(api.post(versions + "/1.0/unyank"))
    await ok(api.delete(versions + "/2.0"))
    await ok(api.delete(versions + "/3.0"))
    await post_form(
        owner,
        SETTINGS + "/recycle-bin",
        SETTINGS + "/recycle-bin/restore",
        {"package": "foo", "version": "2.0"},
    )
    await post_form(
        owner,
        SETTINGS + "/recycle-bin",
        SETTINGS + "/recycle-bin/purge",
        {"package": "foo", "version": "3.0"},
    )
    audit = await ok(api.get(REST + "/audit", params={"batchSize": 1000}))
    expected = [entry["seq"] for entry in reversed(audit["entries"])]
    # 3 publishes, bob made a reader, the yanks, 2 deletions, a restore and a purge
    assert len(expected) == 3 + 1 + 56 + 4 and not audit["has_more"]

    first = await owner.get(SETTINGS + "/changes")
    assert first.status_code == 200
    seqs = [int(s) for s in re.findall(r'<tr id="seq-(\d+)"', first.text)]
    assert seqs == expected[:50]
    top = rows(first.text, "changes")[:4]
    assert [row[2] for row in top] == ["purge", "restore", "delete", "delete"]
    assert top[0][1].startswith("alice") and top[2][1].startswith("admin")
    assert top[0][3] == "foo 3.0" and top[1][3] == "foo 2.0"
    older = re.search(r'rel="next" href="([^"]+)"', first.text)
    assert older is not None and "Newer" not in first.text
    second = await owner.get(html.unescape(older.group(1)))
    assert second.status_code == 200
    assert [int(s) for s in re.findall(r'<tr id="seq-(\d+)"', second.text)] == expected[50:]
    assert 'rel="next"' not in second.text
    newer = re.search(r'rel="prev" href="([^"]+)"', second.text)
    assert newer is not None
    back = await owner.get(html.unescape(newer.group(1)))
    assert [int(s) for s in re.findall(r'<tr id="seq-(\d+)"', back.text)] == expected[:50]

    # A reader sees the change feed: package changes only, and nobody's name.
    changes = await ok(api.get(REST + "/changes", params={"batchSize": 1000}))
    seen = await reader.get(SETTINGS + "/changes")
    assert seen.status_code == 200
    shown = [int(s) for s in re.findall(r'<tr id="seq-(\d+)"', seen.text)]
    assert shown == [entry["seq"] for entry in reversed(changes["changes"])][:50]
    assert "alice" not in seen.text.split("<main")[1] and ">Who<" not in seen.text
    assert 'aria-label="Feed settings"' not in seen.text

    for bad in ("x", "-1", "0", "9" * 30):
        refused = await owner.get(SETTINGS + "/changes", params={"before": bad})
        assert refused.status_code == 400, bad


async def test_delete_feed_needs_its_name_typed(
    api: httpx.AsyncClient, owner: httpx.AsyncClient
) -> None:
    delete = SETTINGS + "/delete"
    for wrong in ("lib", "LIBS", "acme/libs", "x" * 5000):
        refused = await post_form(owner, delete, delete, {"name": wrong})
        assert refused.status_code == 400
        assert "The name typed does not match" in refused.text
    assert (await api.get(REST)).status_code == 200
    asked = await post_form(owner, delete, delete, {"name": "libs"}, confirmed=False)
    assert asked.status_code == 200 and "Delete feed acme/libs?" in asked.text
    assert (await api.get(REST)).status_code == 200

    done = await post_form(owner, delete, delete, {"name": "libs"})
    assert done.status_code == 303 and done.headers["location"] == "/"
    home = await owner.get("/")
    message = html.unescape(home.text)
    assert "Feed acme/libs is in the recycle bin until" in message
    assert "POST /acme/_apis/packaging/feed-recycle-bin/libs/restore" in message
    assert PAGE not in home.text
    assert (await api.get(REST)).status_code == 410
    await ok(api.post("/acme/_apis/packaging/feed-recycle-bin/libs/restore"))
    assert PAGE in (await owner.get("/")).text


@pytest.mark.parametrize("page", ["retention", "retention?preview=1", "recycle-bin", "delete"])
async def test_reader_gets_403_on_owner_pages(
    api: httpx.AsyncClient, reader: httpx.AsyncClient, page: str
) -> None:
    assert (await reader.get(f"{SETTINGS}/{page}")).status_code == 403
    async with httpx.AsyncClient(transport=api._transport, base_url=api.base_url) as outsider:
        assert (await outsider.get(f"{SETTINGS}/{page}")).status_code == 401


@pytest.mark.parametrize(
    ("action", "fields"),
    [
        ("retention", {"max_versions": "1"}),
        ("retention/run", {}),
        ("recycle-bin/restore", {"package": "foo", "version": "1.0"}),
        ("recycle-bin/purge", {"package": "foo", "version": "1.0"}),
        ("delete", {"name": "libs"}),
    ],
)
async def test_forms_need_an_owner_and_a_form_token(
    api: httpx.AsyncClient,
    owner: httpx.AsyncClient,
    reader: httpx.AsyncClient,
    action: str,
    fields: dict[str, str],
) -> None:
    await ok(api.put(REST + "/retention", json={"max_versions": 2}))
    await ok(api.delete(REST + "/packages/foo/versions/1.0"))
    url = f"{SETTINGS}/{action}"
    as_reader = await post_form(reader, PAGE, url, fields)
    assert as_reader.status_code == 403, as_reader.text
    posted = {**fields, "confirmed": "yes"}
    no_token = await owner.post(url, data=posted, headers={"Origin": ORIGIN})
    assert no_token.status_code == 403
    assert "form has expired" in no_token.text
    assert await ok(api.get(REST + "/retention")) == {"max_versions": 2, "days": None}
    assert await bin_versions(api) == {"1.0"}
    assert await index_versions(api) == {"2.0", "3.0"}


# --- reading a log newest first, against a log in memory ------------------------------


class Entry:
    def __init__(self, seq: int) -> None:
        self.seq = seq


def log_of(seqs: list[int], calls: list[int]) -> Any:
    """A forward-paging log holding ``seqs``, as the changes service pages."""

    async def fetch(after: int, size: int) -> Page[Entry]:
        calls.append(after)
        later = [seq for seq in seqs if seq > after]
        return Page("acme/libs", [Entry(seq) for seq in later[:size]], "", len(later) > size)

    return fetch


@pytest.mark.parametrize(
    "seqs",
    [
        [],
        list(range(1, 8)),
        list(range(1, 231)),
        # sparse: few changes among many settings events, a huge gap, a dense run
        [3, 900, 901, 5000, *range(10**6, 10**6 + 2500), 2 * 10**9],
    ],
)
async def test_newest_first_pages_through_every_entry_once(
    monkeypatch: pytest.MonkeyPatch, seqs: list[int]
) -> None:
    monkeypatch.setattr(bin_history, "MAX_BATCH", 100)  # windows wider than one read
    calls: list[int] = []
    fetch = log_of(seqs, calls)
    serial = (seqs[-1] if seqs else 0) - 2  # read a moment ago: the newest are past it
    seen: list[int] = []
    before: int | None = None
    pages = []
    while True:
        part = await newest_first(fetch, max(serial, 0), before, 7)
        pages.append((before, part))
        seen += [entry.seq for entry in part.entries]
        if part.older is None:
            break
        before = part.older
    assert seen == sorted(seqs, reverse=True)
    assert all(len(part.entries) == 7 for _, part in pages[:-1])
    assert len(calls) < 60 * len(pages)
    # Each page's "newer" link leads to the page before it.
    for (_, newer_page), (_, part) in itertools.pairwise(pages):
        assert part.has_newer
        again = await newest_first(fetch, max(serial, 0), part.newer, 7)
        assert [e.seq for e in again.entries] == [e.seq for e in newer_page.entries]
    assert not pages[0][1].has_newer
