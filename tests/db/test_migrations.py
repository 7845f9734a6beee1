"""Migrations and models agree, on SQLite and PostgreSQL; migrations run both ways."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Connection

from quiver.db.engine import make_engine
from quiver.db.migrate import alembic_config, upgrade, upgrade_on_connection
from quiver.services.tables import Base, Feed, FeedView, Upstream
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


async def test_existing_feeds_get_prerelease_and_release_views(database_url: str) -> None:
    engine = make_engine(Settings(database_url=database_url).resolved_database_url())
    try:
        await upgrade(engine, "0004")
        async with engine.connect() as connection:
            await connection.exec_driver_sql(
                "INSERT INTO organizations (id, name, name_key, created_at) "
                "VALUES (1, 'acme', 'acme', CURRENT_TIMESTAMP)"
            )
            await connection.execute(
                text(
                    "INSERT INTO feeds (id, org_id, name, path_key, visibility, serial, "
                    "created_at) VALUES (:id, 1, :name, :key, 'private', 0, CURRENT_TIMESTAMP)"
                ),
                [
                    {"id": 1, "name": "libs", "key": "acme/libs"},
                    {"id": 2, "name": "apps", "key": "acme/apps"},
                ],
            )
            await connection.commit()
        await upgrade(engine)
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(FeedView.feed_id, FeedView.name, FeedView.name_key, FeedView.visibility)
                .where(FeedView.created_at.is_not(None))
                .order_by(FeedView.feed_id, FeedView.name)
            )
            found = [tuple(row) for row in rows]
            assert await connection.scalar(select(func.count()).select_from(Feed)) == 2
        assert found == [
            (1, "prerelease", "prerelease", None),
            (1, "release", "release", None),
            (2, "prerelease", "prerelease", None),
            (2, "release", "release", None),
        ]
    finally:
        await engine.dispose()


async def test_existing_upstreams_get_the_casefold_of_their_view(database_url: str) -> None:
    """0009 fills ``source_view_key`` with Python's casefold (SQL ``lower`` differs)."""
    engine = make_engine(Settings(database_url=database_url).resolved_database_url())
    try:
        await upgrade(engine, "0008")
        async with engine.connect() as connection:
            await connection.exec_driver_sql(
                "INSERT INTO organizations (id, name, name_key, created_at) "
                "VALUES (1, 'acme', 'acme', CURRENT_TIMESTAMP)"
            )
            await connection.exec_driver_sql(
                "INSERT INTO feeds (id, org_id, name, path_key, visibility, serial, "
                "created_at) VALUES (1, 1, 'libs', 'acme/libs', 'private', 0, CURRENT_TIMESTAMP)"
            )
            await connection.execute(
                text(
                    "INSERT INTO upstreams (id, feed_id, position, name, kind, url, "
                    "source_feed_id, source_view, created_at) VALUES "
                    "(:id, 1, :position, :name, :kind, :url, :source, :view, CURRENT_TIMESTAMP)"
                ),
                [
                    {
                        "id": 1,
                        "position": 0,
                        "name": "a",
                        "kind": "feed",
                        "url": None,
                        "source": 1,
                        "view": "ÄRGER",
                    },
                    {
                        "id": 2,
                        "position": 1,
                        "name": "b",
                        "kind": "feed",
                        "url": None,
                        "source": 1,
                        "view": "Straße",
                    },
                    {
                        "id": 3,
                        "position": 2,
                        "name": "c",
                        "kind": "index",
                        "url": "pypi",
                        "source": None,
                        "view": None,
                    },
                ],
            )
            await connection.commit()
        await upgrade(engine)
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(Upstream.id, Upstream.source_view_key).order_by(Upstream.id)
            )
            found = [tuple(row) for row in rows]
        assert found == [(1, "ärger"), (2, "strasse"), (3, None)]
    finally:
        await engine.dispose()
