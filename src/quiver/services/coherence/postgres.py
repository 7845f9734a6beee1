"""PostgreSQL LISTEN/NOTIFY between server processes, over one dedicated connection each.

The link is an asyncpg connection of its own, not one of the SQLAlchemy pool
(the pool would hand it to a request and the LISTEN would go with it). It
LISTENs on ``quiver_changes``; when this process's ``ctx.access.invalidate()``
sets ``changed`` it sends ``NOTIFY quiver_changes`` (one for any number of
changes that come while it sends); every other process hears it and clears its
access cache. Its own notifications come back too and are ignored (same
backend pid). PostgreSQL delivers a notification only to sessions that were
listening when it was sent, so whenever the link (re)starts listening it
clears the access cache as well: what was sent while it was away is lost.

The link checks itself every ``KEEPALIVE`` seconds; when it drops it is opened
again, after ``FIRST_RETRY`` seconds and then up to ``MAX_RETRY`` apart.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information

from quiver.services.context import Context

log = logging.getLogger("quiver.coherence")

CHANNEL = "quiver_changes"
#: What a notification says: "drop everything" (as ``invalidate()`` does locally).
PAYLOAD = "all"
NOTIFY = "SELECT pg_notify($1, $2)"
#: How the link shows in ``pg_stat_activity.application_name``.
APPLICATION_NAME = "quiver coherence"
FIRST_RETRY = 0.2
MAX_RETRY = 5.0
KEEPALIVE = 10.0
TIMEOUT = 5.0
# URL query options SQLAlchemy's asyncpg dialect understands and asyncpg.connect does not
_SQLALCHEMY_ONLY = ("prepared_statement_cache_size", "prepared_statement_name_func")


async def link_forever(ctx: Context, changed: asyncio.Event) -> None:
    """Keep the link open until cancelled: listen, and notify whenever ``changed`` is set."""
    delay = FIRST_RETRY
    while True:
        # Any failure (network, server, driver) only means: open the link again.
        try:
            connection = await _connect(ctx)
        except Exception as err:
            log.warning("change notifications: cannot connect (%s); retrying in %.1fs", err, delay)
        else:
            delay = FIRST_RETRY
            try:
                await _serve(ctx, connection, changed)
                log.warning("change notifications: connection lost; reconnecting")
            except Exception as err:
                log.warning("change notifications: %s; reconnecting", err)
            finally:
                await _close(connection)
        await asyncio.sleep(delay)
        delay = min(delay * 2, MAX_RETRY)


async def _connect(ctx: Context) -> Any:
    _args, options = ctx.engine.dialect.create_connect_args(ctx.engine.url)
    for name in _SQLALCHEMY_ONLY:
        options.pop(name, None)
    server_settings = dict(options.pop("server_settings", None) or {})
    server_settings["application_name"] = APPLICATION_NAME
    return await asyncpg.connect(**options, server_settings=server_settings, timeout=TIMEOUT)


async def _serve(ctx: Context, connection: Any, changed: asyncio.Event) -> None:
    """Listen and notify on ``connection`` until it is lost (returns) or fails (raises)."""
    lost = asyncio.Event()
    own = connection.get_server_pid()

    def heard(_connection: Any, pid: int, _channel: str, _payload: str) -> None:
        if pid != own:
            ctx.access.clear()

    connection.add_termination_listener(lambda _connection: lost.set())
    await connection.add_listener(CHANNEL, heard)
    ctx.access.clear()
    log.info("change notifications: listening on %s", CHANNEL)
    while not lost.is_set():
        if changed.is_set():
            changed.clear()
            try:
                await connection.execute(NOTIFY, CHANNEL, PAYLOAD, timeout=TIMEOUT)
            except BaseException:
                changed.set()  # send it on the next connection
                raise
        elif not await _either(lost, changed, KEEPALIVE):
            await connection.execute("SELECT 1", timeout=TIMEOUT)


async def _either(first: asyncio.Event, second: asyncio.Event, seconds: float) -> bool:
    """Wait until either event is set (True) or ``seconds`` pass (False)."""
    waits = [asyncio.ensure_future(first.wait()), asyncio.ensure_future(second.wait())]
    try:
        done, _pending = await asyncio.wait(
            waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        for wait in waits:
            wait.cancel()
    return bool(done)


async def _close(connection: Any) -> None:
    if connection.is_closed():
        return
    try:
        await asyncio.wait_for(connection.close(), TIMEOUT)
    except Exception:
        connection.terminate()
    except asyncio.CancelledError:
        connection.terminate()
        raise


__all__ = ["CHANNEL", "link_forever"]
