"""``GET /metrics``: Prometheus text that parses, counters that move, bounded labels, no secrets.

The exposition is read back with prometheus-client's own parser, as Prometheus would.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from quiver.api.app import create_app
from quiver.services.jobs.service import holder_name, run_if_due
from quiver.settings import Settings
from tests.conftest import ADMIN_TOKEN
from tests.http.publishing import context_of
from tests.http.simple_support import FEED, PLAIN, publish_foo_bar, simple
from tests.support.dists import build_wheel
from tests.support.fake_index import FakeIndex, Reply, json_reply

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
METRICS_TOKEN = "metrics-" + "m" * 32


async def scrape(client: httpx.AsyncClient) -> Samples:
    """Every sample of ``/metrics``, by (name, sorted labels); the text must parse."""
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def label_values(samples: Samples) -> Iterator[str]:
    for _name, labels in samples:
        for _key, text in labels:
            yield text


async def test_requests_uploads_downloads_and_page_cache_are_counted(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, tmp_path: Path
) -> None:
    before = await scrape(anon)
    published = await publish_foo_bar(api, tmp_path)
    wheel = published.wheel.read_bytes()
    sdist = published.sdist.read_bytes()
    for _ in range(2):  # rendered once, then from the page cache
        page = await api.get(simple(FEED, "foo-bar/"), headers=PLAIN)
        assert page.status_code == 200
    got = await api.get(simple(FEED, f"foo-bar/{published.wheel.name}"))
    assert got.content == wheel
    ranged = await api.get(
        simple(FEED, f"foo-bar/{published.wheel.name}"), headers={"Range": "bytes=0-9"}
    )
    assert ranged.status_code == 206  # a part: not a download
    after = await scrape(anon)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    upload_route = "/{org}/_packaging/{feed}/pypi/upload/"
    page_route = "/{org}/_packaging/{feed}/pypi/simple/{name}/"
    assert moved("quiver_http_requests_total", method="POST", route=upload_route, status="200") == 2
    assert moved("quiver_http_requests_total", method="GET", route=page_route, status="200") == 2
    assert moved("quiver_http_request_duration_seconds_count", method="GET", route=page_route) == 2
    assert moved("quiver_uploads_total") == 2
    assert moved("quiver_upload_bytes_total") == len(wheel) + len(sdist)
    assert moved("quiver_downloads_total") == 1
    assert moved("quiver_download_bytes_total") == len(wheel)
    assert moved("quiver_page_cache_hits_total") >= 1
    assert moved("quiver_page_cache_misses_total") >= 1
    assert value(after, "quiver_build_info", version="0.1.0") == 1
    # Labels are templates and fixed words: no feed, package or file name, no token.
    for text in label_values(after):
        for private in ("acme", "libs", "foo", published.wheel.name, ADMIN_TOKEN):
            assert private.lower() not in text.lower(), text


async def test_unknown_paths_and_methods_share_bounded_labels(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    for n in range(5):
        assert (await anon.get(f"/no/such/page-{n}")).status_code == 404
    odd = await anon.request("BREW", "/_apis/health")
    assert odd.status_code == 405
    samples = await scrape(anon)
    assert (
        value(samples, "quiver_http_requests_total", method="GET", route="unmatched", status="404")
        == 5
    )
    assert (
        value(
            samples,
            "quiver_http_requests_total",
            method="other",
            route="/_apis/health",
            status="405",
        )
        == 1
    )
    assert not any("page-" in text or "BREW" in text for text in label_values(samples))


async def test_no_secret_reaches_the_exposition(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    created = await api.post("/_apis/tokens", json={"name": "ci", "scope": "packaging:read"})
    secret = created.json()["token"]
    await anon.get("/_apis/users/me", headers={"Authorization": f"Bearer {secret}"})
    await anon.get(f"/_apis/health?token={secret}")
    text = (await anon.get("/metrics")).text
    assert secret not in text
    assert ADMIN_TOKEN not in text
    assert "token=" not in text


async def test_upstream_fetches_errors_hits_and_refused_saves(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, tmp_path: Path
) -> None:
    wheel = build_wheel(tmp_path, "evil", "1.0")
    data = wheel.read_bytes()
    with FakeIndex() as upstream:
        upstream.route(f"/files/{wheel.name}", Reply(body=data))
        # The page promises other bytes than the file has: the file is never saved.
        page = {
            "meta": {"api-version": "1.1"},
            "name": "evil",
            "files": [
                {
                    "filename": wheel.name,
                    "url": f"{upstream.url}/files/{wheel.name}",
                    "hashes": {"sha256": hashlib.sha256(b"other").hexdigest()},
                }
            ],
        }
        upstream.route("/simple/evil/", json_reply(page))
        upstream.route("/simple/broken/", Reply(500))
        await api.post("/_apis/organizations", json={"name": "acme"})
        created = await api.post(
            "/acme/_apis/packaging/feeds",
            json={"name": "libs", "upstreams": [{"name": "up", "url": upstream.url + "/simple/"}]},
        )
        assert created.status_code == 201, created.text
        before = await scrape(anon)
        for _ in range(2):  # fetched, then from the upstream page cache
            assert (await api.get(simple(FEED, "evil/"))).status_code == 200
        await api.get(simple(FEED, "broken/"))
        await api.get(simple(FEED, f"evil/{wheel.name}"))
        after = await scrape(anon)

    def moved(name: str) -> float:
        return value(after, name) - value(before, name)

    assert moved("quiver_upstream_fetches_total") == 2
    assert moved("quiver_upstream_page_cache_hits_total") >= 1
    assert moved("quiver_upstream_errors_total") == 1
    assert moved("quiver_upstream_saves_refused_total") == 1
    assert upstream.url.split("//")[1] not in "".join(label_values(after))


async def test_scheduled_job_runs_are_counted(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    before = await scrape(anon)
    assert await run_if_due(context_of(api), holder_name()) is not None
    after = await scrape(anon)
    runs = "quiver_job_runs_total"
    assert value(after, runs, job="lifecycle") - value(before, runs, job="lifecycle") == 1
    assert value(after, "quiver_job_last_finished_timestamp_seconds", job="lifecycle") > 0


@pytest.fixture
async def guarded(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client (no credentials) on an app whose /metrics wants QUIVER_METRICS_TOKEN."""
    app = create_app(settings.model_copy(update={"metrics_token": METRICS_TOKEN}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://quiver.test") as client:
            yield client


async def test_metrics_token_guards_the_exposition(guarded: httpx.AsyncClient) -> None:
    refused = await guarded.get("/metrics")
    assert refused.status_code == 401
    assert "QUIVER_METRICS_TOKEN" in refused.json()["message"]
    assert METRICS_TOKEN not in refused.text
    for wrong in (f"Bearer {ADMIN_TOKEN}", "Bearer nope", f"Basic {METRICS_TOKEN}"):
        assert (await guarded.get("/metrics", headers={"Authorization": wrong})).status_code == 401
    allowed = await guarded.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert allowed.status_code == 200
    assert "quiver_http_requests_total" in allowed.text
    assert METRICS_TOKEN not in allowed.text
    # Health stays open: probes carry no credentials.
    assert (await guarded.get("/_apis/health/ready")).status_code == 200
