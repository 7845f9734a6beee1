"""Downloads under the index: files and their core metadata (PEP 658), HEAD, Range, caching."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from quiver.api.negotiation import JSON_V1
from tests.http.publishing import context_of
from tests.http.simple_support import FEED, Published, publish_foo_bar, sha256, simple


@pytest.fixture
async def published(api: httpx.AsyncClient, tmp_path: Path) -> Published:
    return await publish_foo_bar(api, tmp_path)


async def test_file_download(api: httpx.AsyncClient, published: Published) -> None:
    for path, content_type in (
        (published.wheel, "application/zip"),
        (published.sdist, "application/gzip"),
    ):
        data = path.read_bytes()
        response = await api.get(simple(FEED, f"foo-bar/{path.name}"))
        assert response.status_code == 200
        assert response.content == data
        headers = response.headers
        assert headers["content-type"] == content_type
        assert "content-encoding" not in headers
        assert headers["content-length"] == str(len(data))
        assert headers["etag"] == f'"{sha256(data)}"'
        assert headers["cache-control"] == "private, max-age=31536000, immutable"
        assert headers["accept-ranges"] == "bytes"
        assert headers["content-disposition"] == f'attachment; filename="{path.name}"'
        assert headers["x-content-type-options"] == "nosniff"
        cached = await api.get(
            simple(FEED, f"foo-bar/{path.name}"), headers={"If-None-Match": headers["etag"]}
        )
        assert cached.status_code == 304


async def test_metadata_download(api: httpx.AsyncClient, published: Published) -> None:
    page = await api.get(simple(FEED, "foo-bar/"), headers={"Accept": JSON_V1})
    entry = next(f for f in page.json()["files"] if f["filename"] == published.wheel.name)
    response = await api.get(simple(FEED, f"foo-bar/{published.wheel.name}.metadata"))
    assert response.status_code == 200
    assert {"sha256": sha256(response.content)} == entry["core-metadata"]
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["etag"] == f'"{sha256(response.content)}"'
    assert response.headers["content-length"] == str(len(response.content))
    assert response.headers["cache-control"].endswith("immutable")
    assert response.content.startswith(b"Metadata-Version: ")


@pytest.fixture(params=["sendfile", "stream"])
def blob_mode(request: pytest.FixtureRequest, api: httpx.AsyncClient) -> Iterator[str]:
    """Serve files from the local path (sendfile) or through ``iter_bytes`` (other stores)."""
    if request.param == "stream":
        blobs: Any = context_of(api).blobs
        original = blobs.local_path
        blobs.local_path = lambda key: None
        yield request.param
        blobs.local_path = original
        return
    yield request.param


async def test_head_and_ranges(
    api: httpx.AsyncClient, published: Published, blob_mode: str
) -> None:
    data = published.wheel.read_bytes()
    path = simple(FEED, f"foo-bar/{published.wheel.name}")
    size = len(data)

    head = await api.head(path)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(size)
    assert head.headers["etag"] == f'"{sha256(data)}"'
    assert head.headers["content-type"] == "application/zip"

    full = await api.get(path)
    assert full.content == data
    assert full.headers["content-length"] == str(size)

    for spec, start, end in (("0-9", 0, 10), ("10-", 10, size), ("-5", size - 5, size)):
        part = await api.get(path, headers={"Range": f"bytes={spec}"})
        assert part.status_code == 206, spec
        assert part.content == data[start:end]
        assert part.headers["content-range"] == f"bytes {start}-{end - 1}/{size}"
        assert part.headers["content-length"] == str(end - start)

    beyond = await api.get(path, headers={"Range": f"bytes={size}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{size}"

    other = await api.get(path, headers={"Range": "bytes=0-9", "If-Range": '"other"'})
    assert other.status_code == 200
    assert other.content == data
