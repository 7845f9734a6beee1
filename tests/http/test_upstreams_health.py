"""Each upstream source's health: the last good fetch and the last failure, recorded by the
read path, shown by the REST API and the settings page, written only now and then.

An upstream is played by ``FakeIndex`` on loopback; Quiver runs in-process on SQLite and
PostgreSQL, with upstream pages never cached (every request asks the upstream), so each
request below is one fetch.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from quiver.services.upstreams import health
from quiver.services.upstreams.health import HealthBook, Seen, error_kind, error_sentence
from quiver.services.upstreams.models import Upstream
from quiver.settings import Settings
from tests.conftest import ADMIN_TOKEN
from tests.http.publishing import context_of
from tests.http.rest_support import ok
from tests.http.ui_support import sign_in, user_with_password
from tests.support.fake_index import FakeIndex, Reply, json_reply

SIMPLE = "/acme/_packaging/libs/pypi/simple"
UPSTREAMS = "/acme/_apis/packaging/feeds/libs/upstreams"
PAGE = "/acme/_artifacts/feed/libs/settings/upstreams"
SECRET = "hunter2-Secret"
FAIL = Reply(500, b"down", {"Content-Type": "text/plain"})


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        admin_token=ADMIN_TOKEN,
        jobs_interval_seconds=0,
        # every request asks the upstream: no fresh, stale or negative answers kept
        upstream_ttl_seconds=0,
        upstream_negative_ttl_seconds=0,
        upstream_stale_seconds=0,
        upstream_connect_timeout=1.0,
        upstream_read_timeout=1.0,
    )


@pytest.fixture
def upstream() -> Iterator[FakeIndex]:
    with FakeIndex() as index:
        yield index


def empty_page(name: str) -> Reply:
    """A valid PEP 691 page of ``name`` with no files: the index answered."""
    return json_reply({"meta": {"api-version": "1.1"}, "name": name, "files": []})


async def make_feed(api: httpx.AsyncClient, url: str) -> None:
    """acme/libs with one upstream, ``up`` at ``url``."""
    await ok(api.post("/_apis/organizations", json={"name": "acme"}), 201)
    body = {"name": "libs", "upstreams": [{"name": "up", "url": url}]}
    await ok(api.post("/acme/_apis/packaging/feeds", json=body), 201)


def with_password(index: FakeIndex) -> str:
    return index.url.replace("http://", f"http://bot:{SECRET}@") + "/simple/"


async def source(api: httpx.AsyncClient) -> dict[str, Any]:
    (only,) = await ok(api.get(UPSTREAMS))
    assert isinstance(only, dict)
    return only


def at(text: str | None) -> datetime:
    assert text is not None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def stored_errors(api: httpx.AsyncClient) -> list[str | None]:
    async with context_of(api).sessions() as session:
        return list((await session.scalars(select(Upstream.last_error))).all())


async def test_ok_then_error_then_ok_again(api: httpx.AsyncClient, upstream: FakeIndex) -> None:
    """The REST list follows the upstream; a recovered error stays as history."""
    # the client retries a 5xx once: two 500s make one failed fetch
    upstream.route("/simple/pkg/", empty_page("pkg"), FAIL, FAIL, empty_page("pkg"))
    await make_feed(api, with_password(upstream))
    fresh = await source(api)
    assert fresh["health"] == "unchecked"
    assert fresh["last_ok_at"] is None and fresh["last_error"] is None

    before = datetime.now(UTC)
    await api.get(f"{SIMPLE}/pkg/")
    first = await source(api)
    assert first["health"] == "ok"
    assert before <= at(first["last_ok_at"]) <= datetime.now(UTC)
    assert first["last_error"] is None and first["last_error_at"] is None

    await api.get(f"{SIMPLE}/pkg/")
    failing = await source(api)
    assert failing["health"] == "error"
    assert failing["last_error"] == f"Upstream {upstream.url}/simple/pkg/ answered 500."
    assert at(failing["last_error_at"]) > at(first["last_ok_at"])
    assert failing["last_ok_at"] == first["last_ok_at"]

    await api.get(f"{SIMPLE}/pkg/")
    again = await source(api)
    assert again["health"] == "ok"
    assert at(again["last_ok_at"]) > at(failing["last_error_at"])
    # kept as history: when and why it last failed
    assert again["last_error"] == failing["last_error"]
    assert again["last_error_at"] == failing["last_error_at"]
    assert upstream.count("/simple/pkg/") == 4


async def test_stored_error_never_holds_the_password(
    api: httpx.AsyncClient, upstream: FakeIndex
) -> None:
    """Credentials refused, nothing cached: the sentence names the index, not the secret."""
    upstream.route("/simple/pkg/", Reply(401, b"no", {"Content-Type": "text/plain"}))
    await make_feed(api, with_password(upstream))
    assert (await api.get(f"{SIMPLE}/pkg/")).status_code == 404
    listed = await api.get(UPSTREAMS)
    (item,) = listed.json()
    assert item["health"] == "error"
    assert item["last_error"] == (f"Upstream {upstream.url}/simple/ refused our credentials (401).")
    assert SECRET not in listed.text and "bot:" not in listed.text
    assert all(SECRET not in (error or "") for error in await stored_errors(api))
    assert upstream.seen("/simple/pkg/")[0].headers["authorization"].startswith("Basic ")


async def test_many_fetches_write_the_row_once(
    api: httpx.AsyncClient, upstream: FakeIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes: list[Seen] = []
    real = health.write_seen

    async def counted(sessions: Any, upstream_id: int, seen: Seen) -> None:
        writes.append(seen)
        await real(sessions, upstream_id, seen)

    monkeypatch.setattr(health, "write_seen", counted)
    upstream.route("/simple/pkg/", empty_page("pkg"))
    await make_feed(api, upstream.url + "/simple/")
    for _ in range(10):
        await api.get(f"{SIMPLE}/pkg/")
    await asyncio.gather(*(api.get(f"{SIMPLE}/pkg/") for _ in range(10)))
    assert upstream.count("/simple/pkg/") >= 11  # asked every time (no cache here)
    assert len(writes) == 1 and writes[0].error is None
    # the row still holds the first fetch's time: nothing rewrote it within the minute
    assert at((await source(api))["last_ok_at"]) == writes[0].at

    # A failing index fails alike for every package: one write, not one per name.
    for name in ("pkg", "other", "third"):
        upstream.route(f"/simple/{name}/", FAIL)
    for name in ("pkg", "other", "third", "pkg", "other"):
        await api.get(f"{SIMPLE}/{name}/")
    assert [seen.error is None for seen in writes] == [True, False]
    assert (await source(api))["last_error"] == (
        f"Upstream {upstream.url}/simple/pkg/ answered 500."
    )


async def test_a_failed_write_never_fails_the_request(
    api: httpx.AsyncClient,
    upstream: FakeIndex,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls = 0

    async def broken(sessions: Any, upstream_id: int, seen: Seen) -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("database unavailable")

    upstream.route("/simple/pkg/", empty_page("pkg"))
    await make_feed(api, upstream.url + "/simple/")
    monkeypatch.setattr(health, "write_seen", broken)
    with caplog.at_level(logging.WARNING, logger="quiver.upstreams"):
        assert (await api.get(f"{SIMPLE}/pkg/")).status_code == 404
        assert (await api.get(f"{SIMPLE}/pkg/")).status_code == 404
    assert "could not record the health of upstream" in caplog.text
    assert calls == 2  # forgotten after failing: the next answer tries again
    assert (await source(api))["health"] == "unchecked"


async def test_a_feed_of_this_server_has_no_health(api: httpx.AsyncClient) -> None:
    await ok(api.post("/_apis/organizations", json={"name": "acme"}), 201)
    await ok(api.post("/acme/_apis/packaging/feeds", json={"name": "shared"}), 201)
    body = {"name": "libs", "upstreams": [{"name": "shared", "feed": "acme/shared@local"}]}
    await ok(api.post("/acme/_apis/packaging/feeds", json=body), 201)
    await api.get(f"{SIMPLE}/pkg/")
    item = await source(api)
    assert item["health"] == "local"
    assert (item["last_ok_at"], item["last_error_at"], item["last_error"]) == (None, None, None)


async def test_settings_page_shows_last_refresh_and_last_error(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, upstream: FakeIndex
) -> None:
    upstream.route("/simple/pkg/", empty_page("pkg"), FAIL, FAIL, empty_page("pkg"))
    await make_feed(api, with_password(upstream))
    await user_with_password(api)
    await sign_in(anon)
    page = await anon.get(PAGE)
    assert '<th scope="col">Health</th>' in page.text
    assert 'Last refresh: <span class="muted">not yet</span>' in page.text
    assert "Last error: none" in page.text

    await api.get(f"{SIMPLE}/pkg/")
    await api.get(f"{SIMPLE}/pkg/")
    failing = (await anon.get(PAGE)).text
    item = await source(api)
    sentence = f"Upstream {upstream.url}/simple/pkg/ answered 500."
    refreshed = at(item["last_ok_at"]).strftime("%Y-%m-%d %H:%M")
    assert "Last refresh: <time datetime=" in failing
    assert f"{refreshed} UTC</time></div>" in failing
    assert '<p class="error">Last error, <time datetime=' in failing
    assert f"UTC</time>: {sentence}</p>" in failing
    assert SECRET not in failing

    await api.get(f"{SIMPLE}/pkg/")
    recovered = (await anon.get(PAGE)).text
    assert 'class="error"' not in recovered
    assert '<div class="muted">Last error, <time datetime=' in recovered
    assert f"UTC</time> (answered since): {sentence}</div>" in recovered


# --- the rules, without a server ---------------------------------------------------------------

T0 = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)


def ok_at(seconds: float) -> Seen:
    return Seen(T0 + timedelta(seconds=seconds))


def error_at(seconds: float, kind: str = "answered 500") -> Seen:
    return Seen(T0 + timedelta(seconds=seconds), f"Upstream {kind}.", kind)


def test_book_writes_on_a_change_or_once_a_minute() -> None:
    book = HealthBook()
    steps = [
        (ok_at(0), True),  # nothing known yet in this process
        (ok_at(0), False),  # the same answer again (a cache hit)
        (ok_at(30), False),  # newer, but within the minute
        (ok_at(61), True),  # a minute after the stored time
        (error_at(62), True),  # ok → error
        (error_at(63), False),  # the same failure again
        (error_at(64, "timed out"), True),  # another failure
        (ok_at(10), False),  # an answer older than what is stored
        (ok_at(65), True),  # error → ok
        (ok_at(66), False),
        (error_at(50), False),  # older than the stored failure
    ]
    assert [book.claim(7, seen) for seen, _ in steps] == [want for _, want in steps]
    assert book.claim(8, ok_at(66)) is True  # each row on its own
    book.forget(7)
    assert book.claim(7, ok_at(66)) is True  # after a failed write: written again


def test_error_sentence_is_one_safe_capped_sentence() -> None:
    assert error_sentence("upstream https://x.example/simple/ answered 503") == (
        "Upstream https://x.example/simple/ answered 503."
    )
    leaked = error_sentence("see https://bot:pw%40d@x.example/simple/\nor\thttp://u@y/", "pw%40d")
    assert leaked == "See https://x.example/simple/ or http://y/."
    assert error_sentence("token is s3cret-value here", "s3cret-value") == (
        "Token is [redacted] here."
    )
    long = error_sentence("x" * 1000)
    assert len(long) == 300 and long.endswith("…")
    assert error_sentence("   ") == "The upstream failed for an unknown reason."
    # the same failure on two packages' pages is one kind
    page_a = error_kind("Upstream https://x/simple/a/ answered 500.", "https://x/simple/a/", "I")
    page_b = error_kind("Upstream https://x/simple/b/ answered 500.", "https://x/simple/b/", "I")
    assert page_a == page_b == "Upstream I answered 500."
