"""A page of a feed's log, newest first, read through the log's own forward paging.

The changes service pages a log (change feed or audit log) forward only: "the events
after position ``seq``", with continuation tokens naming that position. A person wants
the newest events first. So a page "before ``seq``" is read backwards in windows of
``seq`` values: each window is one forward read starting below it; a window that came
back sparse (``seq`` values have gaps: other kinds, serial bumps without an event) makes
the next one wider, and one with more events than a read may return is narrowed and read
again. The newest page reads on past the feed's serial, so a serial read a moment ago
misses nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from quiver.domain.changes import MAX_BATCH
from quiver.services.changes.records import Page


class Sequenced(Protocol):
    """An entry of a log: its position."""

    @property
    def seq(self) -> int: ...


T = TypeVar("T", bound=Sequenced)
#: ``fetch(after, size)``: up to ``size`` entries with ``seq > after``, oldest first.
Fetch = Callable[[int, int], Awaitable[Page[T]]]
#: The widest window, in ``seq`` values, read at once (a log's last seq fits in 63 bits).
WIDEST = 2**62


@dataclass(frozen=True)
class Slice(Generic[T]):
    """A page of a log, newest first, and where the pages beside it start.

    ``older``: the ``before`` of the next older page (None: there is none).
    ``newer``: the ``before`` of the next newer page, None for the newest page itself;
    ``has_newer`` says whether there is a newer page at all.
    """

    entries: list[T]
    older: int | None
    newer: int | None
    has_newer: bool


async def newest_first(fetch: Fetch[T], serial: int, before: int | None, size: int) -> Slice[T]:
    """The ``size`` newest entries with ``seq < before`` (no ``before``: the newest of all;
    ``serial``, the feed's last seq as last read, is where that search starts)."""
    want = size + 1  # one more than shown says whether an older page exists
    found: list[T] = []
    bound = before  # exclusive upper bound of the next window; None: read to the end
    top = before if before is not None else serial + 1
    width = want
    while len(found) < want and top > 1:
        after = max(0, top - 1 - width)
        window = await _window(fetch, after, bound)
        if window is None:  # more events than one read returns: read a narrower window
            width = max(want, width // 4)
            continue
        found = window + found
        top = bound = after + 1
        width = min(WIDEST, width * 4)
    shown = list(reversed(found[-size:]))
    older = shown[-1].seq if len(found) > size else None
    newer, has_newer = await _newer(fetch, shown, before, size)
    return Slice(shown, older, newer, has_newer)


async def _window(fetch: Fetch[T], after: int, bound: int | None) -> list[T] | None:
    """The entries with ``after < seq < bound`` (no bound: every one after ``after``),
    oldest first; None when more lie in the window than one read returns."""
    entries: list[T] = []
    while True:
        page = await fetch(after, MAX_BATCH)
        entries.extend(item for item in page.entries if bound is None or item.seq < bound)
        if not page.has_more:
            return entries
        last = page.entries[-1].seq
        if bound is not None:
            return entries if last >= bound - 1 else None
        after = last  # the newest page: read on to the end


async def _newer(
    fetch: Fetch[T], shown: list[T], before: int | None, size: int
) -> tuple[int | None, bool]:
    """Where the next newer page starts: the ``size`` entries after the newest shown,
    read forward; its ``before`` is past the last of them, or None when those are the
    newest of all."""
    if before is None:
        return None, False
    after = shown[0].seq if shown else before - 1
    page = await fetch(after, size)
    if not page.entries:
        return None, False
    return (page.entries[-1].seq + 1 if page.has_more else None), True
