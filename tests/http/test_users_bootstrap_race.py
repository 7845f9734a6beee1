"""Processes starting at once on an empty database create exactly one administrator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from quiver.blobs import open_blob_store
from quiver.db.engine import make_engine, make_session_factory
from quiver.db.migrate import upgrade
from quiver.services.context import Context
from quiver.services.users.models import User
from quiver.services.users.service import bootstrap_admin
from quiver.settings import Settings


@pytest.fixture
async def contexts(settings: Settings) -> AsyncIterator[list[Context]]:
    """Four contexts, each with an engine of its own, on one freshly migrated database."""
    settings.data_dir.mkdir(parents=True)
    engines = [make_engine(settings.resolved_database_url()) for _ in range(4)]
    await upgrade(engines[0])
    blobs = await open_blob_store(settings)
    for engine in engines:  # connected already, so that they start their checks together
        async with engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")
    try:
        yield [Context(settings, e, make_session_factory(e), blobs) for e in engines]
    finally:
        for engine in engines:
            await engine.dispose()


async def test_only_one_of_several_starts_creates_the_admin(contexts: list[Context]) -> None:
    secrets = await asyncio.gather(*(bootstrap_admin(ctx, None) for ctx in contexts))
    assert sum(secret is not None for secret in secrets) == 1
    async with contexts[0].sessions() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 1
