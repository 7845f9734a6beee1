"""A consistent view of the whole database, and which schema version it has.

``read_snapshot`` opens one read transaction that sees the database as it was at one moment,
whatever other processes write meanwhile: REPEATABLE READ (read only) on PostgreSQL; on SQLite
an explicit ``BEGIN`` (the driver would otherwise run each SELECT on its own), which in WAL
mode reads one snapshot until the transaction ends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from quiver.db.engine import make_engine
from quiver.db.migrate import alembic_config


def head_revision() -> str:
    """The newest schema version this Quiver knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def known_revision(revision: str) -> bool:
    """Whether ``revision`` is one of this Quiver's schema versions."""
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except Exception:  # alembic raises several kinds for unknown or malformed names
        return False


def _revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


async def database_revision(connection: AsyncConnection) -> str | None:
    """The schema version of the database (None: no schema yet)."""
    return await connection.run_sync(_revision)


def snapshot_engine(url: str) -> AsyncEngine:
    """An engine whose transactions really begin (on SQLite too) when they start."""
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _no_implicit_transactions)
        event.listen(engine.sync_engine, "begin", _begin)
    return engine


def _no_implicit_transactions(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


def _begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


@asynccontextmanager
async def read_snapshot(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection in one read-only transaction that sees one moment of the database.

    ``engine`` comes from :func:`snapshot_engine`.
    """
    async with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = await connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        async with connection.begin() as transaction:
            yield connection
            await transaction.rollback()  # nothing was written
