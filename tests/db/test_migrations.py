"""Migrations and models agree, on SQLite and PostgreSQL; migrations run both ways."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from quiver.db.engine import make_engine
from quiver.db.migrate import alembic_config, upgrade, upgrade_on_connection
from quiver.services.tables import Base
from quiver.settings import Settings


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


def _downgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, "base")


async def test_models_match_migrations(database_url: str) -> None:
    engine = make_engine(Settings(database_url=database_url).resolved_database_url())
    try:
        await upgrade(engine)
        async with engine.connect() as connection:
            assert await connection.run_sync(_diff) == []
            assert await connection.run_sync(_tables) == set(Base.metadata.tables)
    finally:
        await engine.dispose()


async def test_downgrade_and_upgrade_again(database_url: str) -> None:
    engine = make_engine(Settings(database_url=database_url).resolved_database_url())
    try:
        await upgrade(engine)
        async with engine.connect() as connection:
            await connection.run_sync(_downgrade)
            await connection.commit()
            assert await connection.run_sync(_tables) == set()
            await connection.run_sync(upgrade_on_connection, "head")
            await connection.commit()
            assert await connection.run_sync(_diff) == []
    finally:
        await engine.dispose()
