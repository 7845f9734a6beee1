"""In-process caches on the read path.

``AccessCache`` keeps what authorisation needs (token → principal, feed path →
feed, roles, memberships) so a cached page is served with no SQL. Any write
that changes access calls ``invalidate()`` after its commit: that clears this
process's entries and tells the other processes (``quiver.services.coherence``:
PostgreSQL NOTIFY), which clear theirs. Entries also expire after a short time,
a backstop for a notification that was never sent.

``PageCache`` keeps rendered index pages as bytes, keyed by the feed's change
serial, so a publish makes old entries unreachable without touching them.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from quiver.services.records import FeedInfo, Principal, UpstreamInfo, ViewInfo

V = TypeVar("V")


class TTLCache(Generic[V]):
    """A small bounded mapping whose entries expire ``ttl`` seconds after insertion.

    ``generation`` moves on every ``clear()``. A caller that loads a value on a
    miss reads it first and hands it to ``put``, so an answer loaded before a
    clear (perhaps from before the change that caused it) is not stored after it.
    """

    def __init__(self, ttl: float, max_entries: int) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.generation = 0
        self._data: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()

    def get(self, key: Hashable) -> V | None:
        item = self._data.get(key)
        if item is None:
            return None
        expires, value = item
        if expires < time.monotonic():
            self._data.pop(key, None)
            return None
        self._data.move_to_end(key)
        return value

    def put(self, key: Hashable, value: V, generation: int | None = None) -> None:
        """Store ``value``, unless the cache was cleared since ``generation`` was read."""
        if generation is not None and generation != self.generation:
            return
        self._data[key] = (time.monotonic() + self.ttl, value)
        self._data.move_to_end(key)
        while len(self._data) > self.max_entries:
            self._data.popitem(last=False)

    def clear(self) -> None:
        self.generation += 1
        self._data.clear()


class AccessCache:
    """Authorisation lookups; cleared whole on any access-changing write.

    ``invalidate()`` is what a write calls after its commit: it clears the entries
    and calls ``on_invalidate`` (set by ``quiver.services.coherence`` to tell the
    other server processes). ``clear()`` only clears: for news from elsewhere.
    """

    def __init__(self, ttl: float = 5.0, max_entries: int = 10_000) -> None:
        self.on_invalidate: Callable[[], None] | None = None
        self.tokens: TTLCache[Principal] = TTLCache(ttl, max_entries)
        self.feeds: TTLCache[FeedInfo] = TTLCache(ttl, max_entries)
        # (feed_id, user_id) -> (explicit role value, is member of the feed's org)
        self.roles: TTLCache[tuple[int, bool]] = TTLCache(ttl, max_entries)
        # feed_id -> its upstream sources in order
        self.upstreams: TTLCache[tuple[UpstreamInfo, ...]] = TTLCache(ttl, max_entries)
        # feed_id -> its views other than local
        self.views: TTLCache[tuple[ViewInfo, ...]] = TTLCache(ttl, max_entries)

    def invalidate(self) -> None:
        """Forget everything, here and (through ``on_invalidate``) in the other processes."""
        self.clear()
        if self.on_invalidate is not None:
            self.on_invalidate()

    def clear(self) -> None:
        """Forget everything in this process only."""
        self.tokens.clear()
        self.feeds.clear()
        self.roles.clear()
        self.upstreams.clear()
        self.views.clear()


@dataclass(frozen=True)
class CachedPage:
    """A rendered page in one encoding, with the digest its ETag is made of."""

    body: bytes
    digest: str


class PageCache:
    """Rendered pages under ``(feed_id, view, serial, upstreams, name, variant)``; LRU-bounded."""

    def __init__(self, max_entries: int = 4096) -> None:
        self._data: OrderedDict[Hashable, CachedPage] = OrderedDict()
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> CachedPage | None:
        value = self._data.get(key)
        if value is None:
            self.misses += 1
            return None
        self.hits += 1
        self._data.move_to_end(key)
        return value

    def put(self, key: Hashable, value: CachedPage) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.max_entries:
            self._data.popitem(last=False)


class LRU(Generic[V]):
    """A bounded mapping that forgets the least recently used entry first."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._data: OrderedDict[Hashable, V] = OrderedDict()

    def get(self, key: Hashable) -> V | None:
        value = self._data.get(key)
        if value is not None:
            self._data.move_to_end(key)
        return value

    def put(self, key: Hashable, value: V) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.max_entries:
            self._data.popitem(last=False)
