"""What one request may make the server hold or wait for (docs/operations/security.md, "Limits").

Bodies are sent as counting streams, so a test sees how much of a body the server read
before it answered: a refusal by size or for missing credentials must come after reading
little or nothing of it. None of this touches the database, so one backend is enough.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from quiver.api.app import create_app
from quiver.api.deps import get_principal
from quiver.api.multipart import MAX_PART_HEAD_BYTES, MAX_PARTS
from quiver.settings import Settings
from tests.http.publishing import form_for, make_feed, upload, upload_url
from tests.support.dists import build_wheel

ADMIN_TOKEN = "qvr_" + "L" * 43
MIB = 1024 * 1024
FEED = "acme/libs"


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[FastAPI]:
    settings = Settings(
        data_dir=tmp_path / "data",
        admin_token=ADMIN_TOKEN,
        jobs_interval_seconds=0,
        body_timeout_seconds=0.5,
    )
    made = create_app(settings)
    async with made.router.lifespan_context(made):
        yield made


@pytest.fixture
async def admin(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://quiver.test", headers=headers
    ) as client:
        yield client


@pytest.fixture
async def anon(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://quiver.test") as client:
        yield client


class Body:
    """A request body of ``total`` bytes of JSON-ish filler that counts what was read."""

    def __init__(self, total: int, *, stall_after: int | None = None) -> None:
        self.total = total
        self.stall_after = stall_after
        self.read = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunk = b" " * 65536
        while self.read < self.total:
            if self.stall_after is not None and self.read >= self.stall_after:
                await asyncio.sleep(3600)
            self.read += len(chunk)
            yield chunk


def message(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    text: str = response.json()["message"]
    assert text.endswith(".") and "\n" not in text
    return text


async def test_a_request_target_over_8_kib_is_414(anon: httpx.AsyncClient) -> None:
    assert "8 KiB" in message(await anon.get("/" + "a" * 9000), 414)
    assert "8 KiB" in message(await anon.get("/_apis/health", params={"q": "a" * 9000}), 414)
    assert (await anon.get("/_apis/health", params={"q": "a" * 7000})).status_code == 200


async def test_headers_over_32_kib_are_431(anon: httpx.AsyncClient) -> None:
    headers = {f"x-filler-{n}": "a" * 4000 for n in range(9)}
    assert "32 KiB" in message(await anon.get("/_apis/health", headers=headers), 431)


async def test_a_body_declared_too_large_is_413_before_it_is_read(
    anon: httpx.AsyncClient,
) -> None:
    body = Body(400 * MIB)
    response = await anon.post(
        "/_apis/auth/device",
        content=body,
        headers={"Content-Type": "application/json", "Content-Length": str(400 * MIB)},
    )
    assert "1 MiB" in message(response, 413)
    assert body.read == 0


async def test_a_chunked_body_is_413_once_past_the_limit(anon: httpx.AsyncClient) -> None:
    body = Body(400 * MIB)  # no Content-Length: sent chunked
    response = await anon.post(
        "/_apis/auth/device", content=body, headers={"Content-Type": "application/json"}
    )
    assert "1 MiB" in message(response, 413)
    assert body.read <= MIB + 65536


async def test_the_limit_is_a_setting(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "d", admin_token=ADMIN_TOKEN, max_body_bytes=4096)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://q.test") as client:
            json = {"Content-Type": "application/json"}
            padded = b'{"client_name": "a"}' + b" " * 3000
            small = await client.post("/_apis/auth/device", content=padded, headers=json)
            assert small.status_code == 200, small.text
            big = await client.post("/_apis/auth/device", content=padded * 2, headers=json)
            assert "4 KiB" in message(big, 413)


async def test_a_body_without_credentials_is_401_unread(anon: httpx.AsyncClient) -> None:
    for path in ("/_apis/tokens", "/acme/_apis/packaging/feeds", "/_apis/users"):
        body = Body(300 * MIB)
        response = await anon.post(path, content=body, headers={"Content-Type": "application/json"})
        assert "token" in message(response, 401)
        assert response.headers["www-authenticate"].startswith("Basic")
        assert body.read == 0
    # the sign-in flows take bodies from anyone
    started = await anon.post("/_apis/auth/device", json={"client_name": "laptop"})
    assert started.status_code == 200, started.text


def _api_routes(routes: Iterable[object]) -> Iterator[object]:
    for route in routes:
        inner = getattr(route, "original_router", None)  # FastAPI's lazily included routers
        if inner is not None:
            yield from _api_routes(inner.routes)
        elif hasattr(route, "dependant"):
            yield route
        elif hasattr(route, "routes"):
            yield from _api_routes(route.routes)


def _uses(dependant: object, call: object) -> bool:
    return any(d.call is call or _uses(d, call) for d in getattr(dependant, "dependencies", []))


def test_every_management_route_that_takes_a_body_needs_a_user(app: FastAPI) -> None:
    """The 401-before-the-body rule holds only while no such route is open to anyone
    but the sign-in flows under /_apis/auth/."""
    checked = 0
    for route in _api_routes(app.routes):
        if getattr(route, "body_field", None) is None:
            continue
        if str(getattr(route, "path", "")).startswith("/_apis/auth/"):
            continue
        assert _uses(getattr(route, "dependant", None), get_principal), route
        checked += 1
    assert checked > 10


async def test_a_body_that_stops_arriving_is_408(anon: httpx.AsyncClient) -> None:
    body = Body(MIB // 2, stall_after=65536)
    response = await anon.post(
        "/_apis/auth/device", content=body, headers={"Content-Type": "application/json"}
    )
    assert "stopped arriving" in message(response, 408)
    assert response.headers["connection"] == "close"


async def test_an_upload_is_not_held_to_the_body_limit(
    admin: httpx.AsyncClient, tmp_path: Path
) -> None:
    await make_feed(admin, FEED)
    wheel = build_wheel(tmp_path, "pkg", "1.0", module_code="# " + "x" * (3 * MIB))
    response = await upload(admin, FEED, wheel)
    assert response.status_code == 200, response.text


async def test_an_upload_form_may_have_thousands_of_values(
    admin: httpx.AsyncClient, tmp_path: Path
) -> None:
    """twine sends one part per classifier and per requirement."""
    await make_feed(admin, FEED)
    wheel = build_wheel(tmp_path, "pkg", "1.0")
    fields: dict[str, str | list[str]] = {**form_for(wheel)}
    fields["requires_dist"] = [f"dep{n}>=1" for n in range(2000)]
    files = {"content": (wheel.name, wheel.read_bytes(), "application/octet-stream")}
    response = await admin.post(upload_url(FEED), data=fields, files=files)
    assert response.status_code == 200, response.text


async def test_an_upload_form_with_too_many_parts_is_400(admin: httpx.AsyncClient) -> None:
    await make_feed(admin, FEED)
    part = b'--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n\r\n'
    body = part * 400_000 + b"--b--\r\n"
    response = await admin.post(
        upload_url(FEED), content=body, headers={"Content-Type": "multipart/form-data; boundary=b"}
    )
    assert f"more than {MAX_PARTS} parts" in message(response, 400)


async def test_an_upload_part_with_huge_headers_is_400(admin: httpx.AsyncClient) -> None:
    await make_feed(admin, FEED)
    padding = b"".join(b"X-Pad-%d: %s\r\n" % (n, b"p" * 3000) for n in range(3))
    body = b'--b\r\nContent-Disposition: form-data; name="a"\r\n' + padding + b"\r\nx\r\n--b--\r\n"
    response = await admin.post(
        upload_url(FEED), content=body, headers={"Content-Type": "multipart/form-data; boundary=b"}
    )
    assert f"headers over {MAX_PART_HEAD_BYTES} bytes" in message(response, 400)
