"""Upstream package pages, cached in process in front of ``UpstreamClient``.

Contract of ``UpstreamCache.get_page(source, name)``:

* An answer (a page, or "not found") is fresh for ``upstream_ttl_seconds``
  ("not found": ``upstream_negative_ttl_seconds``); fresh answers cost no request.
* Single flight: all concurrent misses for one key await one fetch. A waiter that
  is cancelled does not cancel the fetch (others may be waiting); the fetch's
  failure is reported to its waiters but not remembered, so the next call tries
  again.
* Refreshed in the background: an answer past its freshness but less than
  ``upstream_stale_seconds`` older is returned at once while one refresh runs in
  the background (single flight as above); the next call gets the new answer.
  Only answers older than that, or ``upstream_stale_seconds`` = 0, make the
  caller wait for the refresh. Every process refreshes its own cache: the pages
  live in its memory, so there is nothing for a cluster-wide job to refresh.
* Stale on error: when a refresh fails and an earlier answer exists, that answer
  is returned with ``stale=True``, a warning is logged and ``errors[url]`` counted;
  the stale answer is then kept for ``upstream_negative_ttl_seconds`` before the
  next try, so a dead upstream does not cost every request its timeouts. With no
  earlier answer the ``UpstreamError`` is raised. The stale answer carries the
  failure's reason and time, for the upstream's health record (health.py).

Entries are keyed by the whole ``IndexSource`` (URL and credentials) and the
normalized name: two feeds that reach one upstream with different credentials may
see different pages and must not share them. At most ``max_entries`` are kept
(least recently used go first); expired entries stay until evicted, as the stale
fallback. Counters are keyed by the upstream URL (never credentials).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from packaging.utils import canonicalize_name

from quiver.domain.errors import UpstreamError
from quiver.services.upstreams.client import IndexSource, UpstreamClient
from quiver.services.upstreams.health import HealthBook
from quiver.services.upstreams.remote import RemotePage
from quiver.settings import Settings

log = logging.getLogger("quiver.upstreams")
_Key = tuple[IndexSource, str]


@dataclass(frozen=True)
class PageResult:
    """What the cache knows about a name at an upstream.

    ``page`` is None when the upstream does not have the name. ``stale`` says the
    latest refresh failed and this is an older answer. ``fetched_at`` is the wall
    clock time (``time.time()``) of the fetch that produced the answer and
    ``serial`` a number unique to that fetch within this cache (it grows), so a
    caller can key pages it renders from the answer by ``serial``. A stale answer
    also carries the failure: ``error`` (the reason, no credentials) and
    ``failed_at`` (wall clock), which the health record (health.py) keeps.
    """

    page: RemotePage | None
    stale: bool
    fetched_at: float
    serial: int
    error: str | None = None
    failed_at: float | None = None


@dataclass
class _Entry:
    result: PageResult
    expires: float  # on the cache's monotonic clock


class UpstreamCache:
    """Per (source, normalized name) answers of upstream indexes; see the module docs."""

    def __init__(
        self,
        client: UpstreamClient,
        settings: Settings,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._ttl = settings.upstream_ttl_seconds
        self._negative_ttl = settings.upstream_negative_ttl_seconds
        self._stale_window = settings.upstream_stale_seconds
        self._clock = clock
        self.max_entries = max_entries
        self._entries: OrderedDict[_Key, _Entry] = OrderedDict()
        self._inflight: dict[_Key, asyncio.Task[PageResult]] = {}
        # strong references: the loop keeps only weak ones, and invalidate() drops _inflight
        self._running: set[asyncio.Task[PageResult]] = set()
        self._serials = itertools.count(1)
        # bumped by invalidate(): a fetch started before it must not store its answer
        self._generation = 0
        self.hits: Counter[str] = Counter()
        self.fetches: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        # answers served past their freshness while a background refresh ran
        self.background: Counter[str] = Counter()
        # what this process last wrote of each upstream row's health (health.py)
        self.health = HealthBook()

    def __len__(self) -> int:
        return len(self._entries)

    async def get_page(self, source: IndexSource, name: str) -> PageResult:
        """The page of ``name`` at ``source`` (fresh, fetched, or stale after an error).

        Raises ``UpstreamError`` only when the fetch fails and nothing is cached.
        """
        key = (source, canonicalize_name(name))
        entry = self._entries.get(key)
        now = self._clock()
        if entry is not None and entry.expires > now:
            self._entries.move_to_end(key)
            self.hits[source.url] += 1
            return entry.result
        task = self._fetch(key)
        if entry is not None and entry.expires + self._stale_window > now:
            # the refresh runs on; this caller need not wait for it
            self._entries.move_to_end(key)
            self.background[source.url] += 1
            return entry.result
        # shield: cancelling this waiter must not cancel the fetch the others await
        return await asyncio.shield(task)

    def _fetch(self, key: _Key) -> asyncio.Task[PageResult]:
        """The fetch of ``key`` in flight, started now if there is none (single flight)."""
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.create_task(self._refresh(key, self._generation))
            self._inflight[key] = task
            self._running.add(task)
            task.add_done_callback(lambda done: self._finished(key, done))
        return task

    def invalidate(self, source_url: str | None = None) -> None:
        """Forget every answer (of the upstream at ``source_url`` when given).

        Fetches in flight finish for their waiters but their answers are not kept.
        """
        self._generation += 1
        self._inflight.clear()
        if source_url is None:
            self._entries.clear()
            return
        try:
            url = IndexSource(source_url).url  # the same normal form as the keys
        except ValueError:
            url = source_url
        for key in [key for key in self._entries if key[0].url == url]:
            del self._entries[key]

    async def aclose(self) -> None:
        """Cancel fetches still in flight (at shutdown, before the HTTP client closes)."""
        running = list(self._running)
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)

    async def _refresh(self, key: _Key, generation: int) -> PageResult:
        source, name = key
        self.fetches[source.url] += 1
        try:
            page = await self._client.fetch_page(source, name)
        except UpstreamError as err:
            self.errors[source.url] += 1
            previous = self._entries.get(key)
            if previous is None:
                log.warning("upstream %s: fetching %s failed: %s", source.url, name, err)
                raise
            log.warning(
                "upstream %s: fetching %s failed, serving the copy from %s: %s",
                source.url,
                name,
                time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(previous.result.fetched_at)),
                err,
            )
            stale = PageResult(
                previous.result.page,
                True,
                previous.result.fetched_at,
                previous.result.serial,
                error=str(err),
                failed_at=time.time(),
            )
            if generation == self._generation:
                self._store(key, _Entry(stale, self._clock() + self._negative_ttl))
            return stale
        ttl = self._ttl if page is not None else self._negative_ttl
        result = PageResult(page, False, time.time(), next(self._serials))
        if generation == self._generation:
            self._store(key, _Entry(result, self._clock() + ttl))
        return result

    def _store(self, key: _Key, entry: _Entry) -> None:
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def _finished(self, key: _Key, task: asyncio.Task[PageResult]) -> None:
        self._running.discard(task)
        if self._inflight.get(key) is task:
            del self._inflight[key]
        # Mark the outcome as seen: if every waiter was cancelled, nobody else will.
        if not task.cancelled():
            task.exception()
