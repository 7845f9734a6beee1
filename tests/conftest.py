"""Shared fixtures: an in-process app on SQLite and on PostgreSQL, with an admin token.

HTTP tests use ``api`` (an httpx client on the ASGI app, lifespan run) and run
once per database backend. End-to-end tests start real server processes
(``tests/e2e``).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from quiver.api.app import create_app
from quiver.settings import Settings
from tests.support.postgres import require_postgres, temporary_database

if TYPE_CHECKING:
    from tests.support.s3 import S3Server

ADMIN_TOKEN = "qvr_" + "A" * 43


def pytest_configure(config: pytest.Config) -> None:
    # Hypothesis profile for CI: deterministic and bounded.
    from hypothesis import settings as hyp

    hyp.register_profile("ci", max_examples=60, deadline=None, derandomize=True)
    hyp.load_profile("ci" if os.environ.get("CI") == "true" else "default")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh empty database of each backend (PostgreSQL: created and dropped)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'quiver.db'}"
        return
    require_postgres()
    with temporary_database() as url:
        yield url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        admin_token=ADMIN_TOKEN,
        max_upload_bytes=5 * 1024 * 1024,
        jobs_interval_seconds=0,  # no scheduled job: tests run it when they mean to
    )


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on a freshly started app, authenticated as the admin."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://quiver.test",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        ) as client:
            yield client


@pytest.fixture
async def anon(api: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the same app with no credentials."""
    async with httpx.AsyncClient(transport=api._transport, base_url="http://quiver.test") as client:
        yield client


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """moto's S3 server on loopback (one per test process), with the test credentials set."""
    from tests.support.s3 import aws_test_credentials, s3_server  # boto3 loads slowly

    with s3_server(tmp_path_factory.mktemp("s3")) as server, aws_test_credentials():
        yield server
