"""Bring a database to the newest schema with Alembic (``quiver db upgrade``, server start)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url)
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade the database behind ``engine`` to ``revision`` inside one transaction.

    On PostgreSQL an advisory lock serialises processes that start together on
    an empty database, so only the first creates the schema.
    """
    async with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            await connection.exec_driver_sql("SELECT pg_advisory_xact_lock(727270001)")
        await connection.run_sync(upgrade_on_connection, revision)
        await connection.commit()


def upgrade_on_connection(connection: object, revision: str) -> None:
    """Upgrade through an open (sync) connection; the caller commits."""
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
