"""SQLite: worker processes on one database file notice each other's commits.

SQLite has no notifications, but ``PRAGMA data_version`` answers a different
number on a connection whenever any other connection has committed to the file
since it last asked: a cheap check (no table is read) made every
``POLL_SECONDS`` on a connection of the watcher's own. Any commit counts, this
process's own and bookkeeping writes included, so the access cache is cleared
more often than strictly needed; that only costs a few cached lookups.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3

import aiosqlite

from quiver.services.context import Context

log = logging.getLogger("quiver.coherence")

POLL_SECONDS = 0.25


async def watch_forever(ctx: Context, path: str) -> None:
    """Clear the access cache whenever the database file changed; until cancelled."""
    while True:
        try:
            await _watch(ctx, path)
        except (sqlite3.Error, OSError) as err:
            log.warning("change watch: %s; starting again", err)
            ctx.access.clear()  # whatever changed meanwhile went unseen
        await asyncio.sleep(POLL_SECONDS)


async def _watch(ctx: Context, path: str) -> None:
    async with aiosqlite.connect(path, isolation_level=None) as connection:
        last = await _data_version(connection)
        while True:
            await asyncio.sleep(POLL_SECONDS)
            version = await _data_version(connection)
            if version != last:
                last = version
                ctx.access.clear()


async def _data_version(connection: aiosqlite.Connection) -> int:
    async with connection.execute("PRAGMA data_version") as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


__all__ = ["watch_forever"]
