"""The access cache: clearing, the generation guard, and telling other processes."""

from __future__ import annotations

from quiver.services.caches import AccessCache, TTLCache


def test_a_value_loaded_before_a_clear_is_not_stored_after_it() -> None:
    cache: TTLCache[str] = TTLCache(ttl=60, max_entries=10)
    before = cache.generation
    cache.clear()  # a change committed while the value was being loaded
    cache.put("feed", "stale", before)
    assert cache.get("feed") is None
    cache.put("feed", "fresh", cache.generation)
    assert cache.get("feed") == "fresh"


def test_invalidate_tells_the_other_processes_and_clear_does_not() -> None:
    cache = AccessCache(ttl=60)
    told: list[str] = []
    cache.on_invalidate = lambda: told.append("changed")
    cache.feeds.put("acme/libs", object())  # type: ignore[arg-type]
    cache.clear()
    assert told == []
    assert cache.feeds.get("acme/libs") is None
    cache.tokens.put("digest", object())  # type: ignore[arg-type]
    cache.invalidate()
    assert told == ["changed"]
    assert cache.tokens.get("digest") is None
