"""Throw-away databases on the real PostgreSQL server at 127.0.0.1:5432.

The server is expected to accept user ``postgres`` with trust authentication. Tests that
need it call :func:`require_postgres` first: without a server they are skipped locally and
fail in CI (``CI=true``), so a CI run can never go green by silently skipping them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import re
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information
import pytest

__all__ = [
    "POSTGRES_HOST",
    "POSTGRES_PORT",
    "POSTGRES_USER",
    "database_exists",
    "database_url",
    "fetch",
    "postgres_available",
    "require_postgres",
    "temporary_database",
]

POSTGRES_HOST = "127.0.0.1"
POSTGRES_PORT = 5432
POSTGRES_USER = "postgres"
#: Seconds to wait for the server when connecting.
_CONNECT_TIMEOUT = 5.0
_T = TypeVar("_T")
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def database_url(name: str) -> str:
    """Return ``postgresql://postgres@127.0.0.1:5432/<name>`` (no driver suffix: Quiver's
    settings add ``+asyncpg`` themselves)."""
    return f"postgresql://{POSTGRES_USER}@{POSTGRES_HOST}:{POSTGRES_PORT}/{name}"


def _run_sync(coroutine: Coroutine[Any, Any, _T]) -> _T:
    """Run ``coroutine`` to completion, also from code already inside an event loop (such
    as an async test), where ``asyncio.run`` alone would refuse: then it runs in a thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@asynccontextmanager
async def _maintenance_db() -> AsyncIterator[Any]:
    """An asyncpg connection as ``postgres`` to the ``postgres`` database, closed afterwards."""
    connection = await asyncpg.connect(
        host=POSTGRES_HOST,
        port=POSTGRES_PORT,
        user=POSTGRES_USER,
        database="postgres",
        timeout=_CONNECT_TIMEOUT,
    )
    try:
        yield connection
    finally:
        await connection.close()


async def _execute_on_maintenance_db(*statements: str) -> None:
    async with _maintenance_db() as connection:
        for statement in statements:
            await connection.execute(statement)


async def _database_exists(name: str) -> bool:
    async with _maintenance_db() as connection:
        found = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
    return bool(found == 1)


def database_exists(name: str) -> bool:
    """True if a database called ``name`` exists on the server (connection errors raise)."""
    return _run_sync(_database_exists(name))


def postgres_available() -> bool:
    """True if a ``SELECT 1`` as ``postgres`` on the ``postgres`` database succeeds.

    Never raises: any connection or authentication error means "not available".
    """
    try:
        _run_sync(_execute_on_maintenance_db("SELECT 1"))
    except Exception:  # refused, timed out, auth rejected, protocol error: all "no"
        return False
    return True


def require_postgres() -> None:
    """Return if PostgreSQL is reachable; otherwise fail the test when ``CI=true``, else skip."""
    if postgres_available():
        return
    message = (
        f"PostgreSQL is not reachable at {POSTGRES_HOST}:{POSTGRES_PORT} "
        f"(user {POSTGRES_USER}, trust auth)"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI must run the PostgreSQL tests", pytrace=False)
    pytest.skip(message)


@contextmanager
def temporary_database(prefix: str = "quiver_test") -> Iterator[str]:
    """Create a uniquely named, empty database and yield its URL (see :func:`database_url`).

    The name is ``<prefix>_<12 hex digits>``; ``prefix`` must be a lower-case SQL identifier.
    On exit the database is dropped ``WITH (FORCE)``, which also ends any connection a
    server under test still holds, so a leaked connection cannot leave it behind.
    """
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"database name {name!r} is not a plain lower-case identifier")
    _run_sync(_execute_on_maintenance_db(f'CREATE DATABASE "{name}"'))
    try:
        yield database_url(name)
    finally:
        _run_sync(_execute_on_maintenance_db(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _fetch(url: str, statement: str, *args: Any) -> list[Any]:
    connection = await asyncpg.connect(url, timeout=_CONNECT_TIMEOUT)
    try:
        return list(await connection.fetch(statement, *args))
    finally:
        await connection.close()


def fetch(url: str, statement: str, *args: Any) -> list[Any]:
    """Run ``statement`` (``$1``-style ``args``) on the database at ``url``; return its rows."""
    return _run_sync(_fetch(url, statement, *args))
