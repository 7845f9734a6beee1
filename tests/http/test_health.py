"""Liveness (``/_apis/health``) and readiness (``/_apis/health/ready``: database and blob store).

Broken stores are real: a blob directory removed from under the server, a bucket deleted
from the S3 server, an S3 store whose endpoint has nothing listening.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from quiver.api.app import create_app
from quiver.blobs import FilesystemBlobStore
from quiver.blobs.s3 import S3BlobStore, S3Options
from quiver.services.health.service import check_store
from quiver.settings import Settings
from tests.http.publishing import context_of
from tests.support.ports import free_port
from tests.support.s3 import S3Server

READY = "/_apis/health/ready"


async def test_liveness_needs_nothing(anon: httpx.AsyncClient) -> None:
    response = await anon.get("/_apis/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_ready_when_database_and_store_answer(anon: httpx.AsyncClient) -> None:
    response = await anon.get(READY)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "storage", "disk"}
    for check in body["checks"].values():
        assert check["status"] == "ok"
        assert check["ms"] >= 0


async def test_not_ready_while_the_blob_directory_is_gone(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    store = context_of(api).blobs
    assert isinstance(store, FilesystemBlobStore)
    shutil.rmtree(store.root)
    response = await anon.get(READY)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["storage"] == {
        "status": "failed",
        "ms": body["checks"]["storage"]["ms"],
        "message": "the blob directory does not exist",
    }
    assert body["message"] == "Not ready: storage: the blob directory does not exist"
    assert str(store.root) not in response.text  # no paths for anonymous callers
    assert (await anon.get("/_apis/health")).status_code == 200  # still alive
    store.root.mkdir(parents=True)
    assert (await anon.get(READY)).status_code == 200


@pytest.fixture
async def on_s3(settings: Settings, s3: S3Server) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A client on an app whose blobs are in a fresh bucket; the bucket's name."""
    bucket = s3.create_bucket()
    app = create_app(
        settings.model_copy(
            update={
                "storage_url": f"s3://{bucket}/blobs/",
                "s3_endpoint_url": s3.endpoint_url,
                "ready_timeout_seconds": 5.0,
            }
        )
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://quiver.test") as client:
            yield client, bucket


async def test_s3_store_ready_until_its_bucket_is_gone(
    on_s3: tuple[httpx.AsyncClient, str], s3: S3Server
) -> None:
    client, bucket = on_s3
    assert (await client.get(READY)).status_code == 200
    s3.client().delete_bucket(Bucket=bucket)
    response = await client.get(READY)
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["storage"]["message"] == "the blob store cannot be reached"
    assert body["checks"]["database"]["status"] == "ok"
    assert bucket not in response.text
    assert "quiver-test-secret" not in response.text


async def test_s3_store_with_nothing_listening_is_not_ready(
    on_s3: tuple[httpx.AsyncClient, str],
) -> None:
    client, _bucket = on_s3
    dead = f"http://127.0.0.1:{free_port()}"
    context_of(client).blobs = S3BlobStore("quiver", "", S3Options(endpoint_url=dead))
    response = await client.get(READY)
    assert response.status_code == 503
    storage = response.json()["checks"]["storage"]
    assert storage["status"] == "failed"
    assert storage["message"] in ("the blob store cannot be reached", "no answer within 5s")
    assert dead not in response.text


async def test_blob_directory_check_needs_no_write(tmp_path: Path) -> None:
    """Readiness never writes into the blob directory (it runs every few seconds)."""
    store = FilesystemBlobStore(tmp_path / "blobs")
    for _ in range(3):
        await check_store(store)
    assert list(store.root.iterdir()) == []


async def test_not_ready_below_the_free_space_floor(settings: Settings) -> None:
    """QUIVER_MIN_FREE_BYTES above what the volume has: 503 naming the disk check."""
    from tests.http.rest_support import running_api

    floor = settings.model_copy(update={"min_free_bytes": 2**62})
    async with running_api(floor) as api:
        response = await api.get(READY)
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["checks"]["disk"]["status"] == "failed"
    assert "free-space floor" in body["message"]
    assert body["checks"]["database"]["status"] == "ok"
