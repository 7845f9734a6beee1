"""``GET /metrics``: this process's counters in the Prometheus text format.

Each app has a registry of its own (so apps in one test process do not mix). Request
counts and latencies are observed by ``quiver.api.observe``; uploads and downloads
where they happen; the in-process caches and the scheduled jobs are read when scraped.
Labels are bounded: HTTP methods outside a fixed set are ``other``, routes are
templates (``/{org}/_packaging/{feed}/pypi/simple/{name}/``) or ``unmatched``, job and
step names come from code. No label or value holds a name, a path or a secret.

With ``QUIVER_METRICS_TOKEN`` set, a scrape must send ``Authorization: Bearer TOKEN``.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from quiver import __version__
from quiver.api.errors import error_response
from quiver.services.jobs.service import JOBS
from quiver.services.upstreams import service as saving

if TYPE_CHECKING:
    from starlette.datastructures import State

    from quiver.services.context import Context

# no ``*_created`` series beside every counter
disable_created_metrics()  # type: ignore[no-untyped-call]
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
router = APIRouter(tags=["health"])


class Metrics:
    """One app's instruments and the registry that exposes them."""

    def __init__(self, state: State) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self.requests = Counter(
            "quiver_http_requests_total",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "quiver_http_request_duration_seconds",
            "Time from a request's arrival to the end of its response, by method and route.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.in_progress = Gauge(
            "quiver_http_requests_in_progress",
            "HTTP requests being answered now.",
            registry=registry,
        )
        self.uploads = Counter(
            "quiver_uploads_total", "Distribution files published.", registry=registry
        )
        self.upload_bytes = Counter(
            "quiver_upload_bytes_total", "Bytes of distribution files published.", registry=registry
        )
        self.downloads = Counter(
            "quiver_downloads_total",
            "Whole-file downloads of distribution files (as counted for download counts).",
            registry=registry,
        )
        self.download_bytes = Counter(
            "quiver_download_bytes_total",
            "Bytes of the distribution files downloaded whole.",
            registry=registry,
        )
        info = Gauge("quiver_build_info", "Quiver's version.", ["version"], registry=registry)
        info.labels(__version__).set(1)
        ProcessCollector(registry=registry)
        registry.register(_StateCollector(state))

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        method = method if method in METHODS else "other"
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def uploaded(self, size: int) -> None:
        self.uploads.inc()
        self.upload_bytes.inc(size)

    def downloaded(self, size: int | None) -> None:
        self.downloads.inc()
        if size:
            self.download_bytes.inc(size)


class _StateCollector(Collector):
    """Counters the services keep in memory, read at scrape time from the app's Context."""

    def __init__(self, state: State) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        ctx: Context | None = getattr(self.state, "ctx", None)
        if ctx is not None:
            yield from _context_metrics(ctx)
        yield CounterMetricFamily(
            "quiver_upstream_saves_refused",
            "Files from upstreams not saved after download (digest or archive checks failed).",
            value=sum(saving.refused.values()),
        )
        yield from _job_metrics()


def _context_metrics(ctx: Context) -> Iterator[Metric]:
    pages = ctx.pages
    yield CounterMetricFamily(
        "quiver_page_cache_hits", "Index pages served from the page cache.", value=pages.hits
    )
    yield CounterMetricFamily(
        "quiver_page_cache_misses", "Index pages rendered (not in the cache).", value=pages.misses
    )
    upstreams = ctx.upstreams
    if upstreams is None:
        return
    for name, documentation, counts in (
        (
            "quiver_upstream_page_cache_hits",
            "Upstream pages answered from the cache without a request.",
            upstreams.hits,
        ),
        (
            "quiver_upstream_page_cache_background",
            "Expired upstream pages served at once while they were refreshed in the background.",
            upstreams.background,
        ),
        ("quiver_upstream_fetches", "Requests for pages of upstream indexes.", upstreams.fetches),
        (
            "quiver_upstream_errors",
            "Upstream page requests that failed (the log names the upstream).",
            upstreams.errors,
        ),
    ):
        yield CounterMetricFamily(name, documentation, value=sum(counts.values()))
    yield GaugeMetricFamily(
        "quiver_upstream_page_cache_entries", "Upstream pages held.", value=len(upstreams)
    )


def _job_metrics() -> Iterator[Metric]:
    runs = CounterMetricFamily(
        "quiver_job_runs", "Scheduled job runs this process made.", labels=["job"]
    )
    failures = CounterMetricFamily(
        "quiver_job_step_failures", "Steps of scheduled jobs that failed.", labels=["job", "step"]
    )
    last = GaugeMetricFamily(
        "quiver_job_last_finished_timestamp_seconds",
        "When this process last finished each job (Unix time).",
        labels=["job"],
    )
    for job, count in sorted(JOBS.runs.items()):
        runs.add_metric([job], count)
    for (job, step), count in sorted(JOBS.failures.items()):
        failures.add_metric([job, step], count)
    for job, at in sorted(JOBS.last_finished.items()):
        last.add_metric([job], at)
    yield from (runs, failures, last)


def metrics_of(request: Request) -> Metrics | None:
    """The app's instruments (None for an app built without them)."""
    metrics: Metrics | None = getattr(request.app.state, "metrics", None)
    return metrics


def count_upload(request: Request, size: int) -> None:
    """One file of ``size`` bytes was published."""
    if (metrics := metrics_of(request)) is not None:
        metrics.uploaded(size)


def count_download(request: Request, size: int | None) -> None:
    """One distribution file of ``size`` bytes is being sent whole."""
    if (metrics := metrics_of(request)) is not None:
        metrics.downloaded(size)


@router.get("/metrics", include_in_schema=False)
async def exposition(request: Request) -> Response:
    """This process's metrics; with ``QUIVER_METRICS_TOKEN``, for its bearer only."""
    metrics = metrics_of(request)
    if metrics is None:
        return error_response(404, "Metrics are not collected by this server.")
    wanted = request.app.state.ctx.settings.metrics_token
    if wanted is not None and not _bearer_matches(request, wanted):
        response = error_response(401, "Metrics need the token set in QUIVER_METRICS_TOKEN.")
        response.headers["WWW-Authenticate"] = 'Bearer realm="Quiver metrics"'
        return response
    encode, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(
        encode(metrics.registry),
        media_type=None,
        headers={"Content-Type": content_type, "Cache-Control": "no-store"},
    )


def _bearer_matches(request: Request, wanted: str) -> bool:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(value.strip().encode(), wanted.encode())
