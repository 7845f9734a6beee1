"""Caches that stay coherent across server processes.

See docs/operations/deploy.md, "Several server processes".

Each process keeps access data (feeds and their serials, tokens, roles, views,
upstream lists) in ``ctx.access``; rendered pages and listings are keyed by the
feed's serial, so fresh access data is all a process needs to show a change.
A write calls ``ctx.access.invalidate()`` after its commit; ``keep_coherent``
makes that reach the other processes too:

- PostgreSQL: ``invalidate()`` wakes this process's link (``postgres.py``),
  which sends ``NOTIFY quiver_changes`` on its own connection; every other
  process's link LISTENs on that channel and clears its access cache.
- SQLite with ``workers`` above 1 (``quiver serve --workers N``, one host):
  every worker polls ``PRAGMA data_version`` (``sqlite.py``) and clears its
  access cache when another connection has committed.
- SQLite with one process: nothing to do, every write is this process's own.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from typing import Any

from quiver.services.coherence.postgres import CHANNEL, link_forever
from quiver.services.coherence.sqlite import watch_forever
from quiver.services.context import Context


@contextlib.asynccontextmanager
async def keep_coherent(ctx: Context) -> AsyncIterator[None]:
    """For the app's lifespan: tell the other processes of our changes and hear of theirs."""
    work = _coherence_work(ctx)
    task = asyncio.create_task(work) if work is not None else None
    try:
        yield
    finally:
        ctx.access.on_invalidate = None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _coherence_work(ctx: Context) -> Coroutine[Any, Any, None] | None:
    dialect = ctx.engine.dialect.name
    if dialect == "postgresql":
        changed = asyncio.Event()
        ctx.access.on_invalidate = changed.set
        return link_forever(ctx, changed)
    database = ctx.engine.url.database
    if dialect == "sqlite" and ctx.settings.workers > 1 and database not in (None, "", ":memory:"):
        return watch_forever(ctx, database)
    return None


__all__ = ["CHANNEL", "keep_coherent"]
