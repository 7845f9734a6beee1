"""A feed whose blobs live in S3 (moto's server on loopback): uploads land in the bucket,
downloads stream through the server or redirect to a presigned URL (a setting)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from quiver.blobs.s3 import S3BlobStore, S3Options
from quiver.settings import Settings
from tests.http.publishing import context_of
from tests.http.simple_support import FEED, Published, publish_foo_bar, sha256, simple
from tests.support.ports import free_port
from tests.support.s3 import S3Server

PREFIX = "blobs/"


@pytest.fixture(params=["stream", "presigned"])
def settings(request: pytest.FixtureRequest, settings: Settings, s3: S3Server) -> Settings:
    """The usual test settings, with blobs in a fresh bucket of their own."""
    return settings.model_copy(
        update={
            "storage_url": f"s3://{s3.create_bucket()}/{PREFIX}",
            "s3_endpoint_url": s3.endpoint_url,
            "s3_presigned_downloads": request.param == "presigned",
        }
    )


@pytest.fixture
async def published(api: httpx.AsyncClient, tmp_path: Path) -> Published:
    return await publish_foo_bar(api, tmp_path)


async def fetch(api: httpx.AsyncClient, path: str, **headers: str) -> httpx.Response:
    """GET ``path``; a redirect to the store is followed as a client would (over loopback)."""
    response = await api.get(path, headers=headers)
    if response.status_code == 307:
        response = httpx.get(response.headers["location"], headers=headers)
    return response


def bucket_of(settings: Settings) -> str:
    assert settings.storage_url is not None
    return settings.storage_url.removeprefix("s3://").split("/")[0]


async def test_uploads_land_in_the_bucket(
    api: httpx.AsyncClient, published: Published, settings: Settings, s3: S3Server
) -> None:
    keys = s3.keys(bucket_of(settings))
    names = sorted(key.rsplit("/", 1)[1] for key in keys)
    wheel, sdist = published.wheel.name, published.sdist.name
    assert names == sorted([wheel, f"{wheel}.metadata", sdist])
    assert all(key.startswith(PREFIX) for key in keys)
    assert not (settings.data_dir / "blobs").exists()
    assert not any((settings.data_dir / "tmp").iterdir())  # the staged files are gone


async def test_index_downloads(
    api: httpx.AsyncClient, published: Published, settings: Settings
) -> None:
    data = published.wheel.read_bytes()
    path = simple(FEED, f"foo-bar/{published.wheel.name}")
    etag = f'"{sha256(data)}"'

    head = await api.head(path)  # answered by the server in both modes
    assert head.status_code == 200
    assert head.headers["content-length"] == str(len(data))
    assert head.headers["etag"] == etag
    assert (await api.get(path, headers={"If-None-Match": etag})).status_code == 304

    response = await api.get(path)
    if settings.s3_presigned_downloads:
        assert response.status_code == 307
        assert response.headers["cache-control"] == "no-store"
        location = response.headers["location"]
        assert location.startswith(f"{settings.s3_endpoint_url}/{bucket_of(settings)}/{PREFIX}")
        response = httpx.get(location)  # the client fetches from the store itself
        assert response.headers["content-disposition"] == (
            f'attachment; filename="{published.wheel.name}"'
        )
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "application/zip"
    assert sha256(response.content) == etag.strip('"')

    metadata = await fetch(api, f"{path}.metadata")
    assert metadata.status_code == 200
    assert metadata.content.startswith(b"Metadata-Version: ")


async def test_streamed_ranges(
    api: httpx.AsyncClient, published: Published, settings: Settings
) -> None:
    data = published.sdist.read_bytes()
    path = simple(FEED, f"foo-bar/{published.sdist.name}")
    size = len(data)
    for spec, start, end in (("0-9", 0, 10), ("10-", 10, size), ("-5", size - 5, size)):
        part = await fetch(api, path, Range=f"bytes={spec}")
        assert part.status_code == 206, spec
        assert part.content == data[start:end]
        assert part.headers["content-range"] == f"bytes {start}-{end - 1}/{size}"


async def test_missing_blob(
    api: httpx.AsyncClient, published: Published, settings: Settings, s3: S3Server
) -> None:
    """Streamed: a clear 500 from Quiver. Presigned: the store's own refusal at the redirect."""
    bucket = bucket_of(settings)
    for key in s3.keys(bucket):
        s3.client().delete_object(Bucket=bucket, Key=key)
    response = await fetch(api, simple(FEED, f"foo-bar/{published.sdist.name}"))
    if settings.s3_presigned_downloads:
        assert response.status_code in (403, 404)  # S3 says 403 to those who may not list
        return
    assert response.status_code == 500
    assert response.json() == {
        "message": f"The content of {published.sdist.name} is missing from storage."
    }


async def test_unreachable_store(
    api: httpx.AsyncClient, published: Published, settings: Settings
) -> None:
    """Streamed: a clear 503. Presigned: signing needs no connection, so still a redirect."""
    ctx = context_of(api)
    nowhere = S3Options(endpoint_url=f"http://127.0.0.1:{free_port()}")
    ctx.blobs = S3BlobStore(bucket_of(settings), PREFIX, nowhere)
    response = await api.get(simple(FEED, f"foo-bar/{published.sdist.name}"))
    if settings.s3_presigned_downloads:
        assert response.status_code == 307
        assert response.headers["location"].startswith(nowhere.endpoint_url or "?")
        return
    assert response.status_code == 503
    assert response.json() == {
        "message": f"The storage holding {published.sdist.name} cannot be reached; try again."
    }
