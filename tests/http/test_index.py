"""The simple index pages: PEP 503 HTML, PEP 691 JSON, PEP 700, negotiation, caching."""

from __future__ import annotations

import gzip
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from quiver.api.negotiation import HTML_V1, JSON_V1
from tests.http.publishing import context_of, make_feed
from tests.http.simple_support import (
    FEED,
    PIP_ACCEPT,
    PLAIN,
    UPLOAD_TIME,
    Anchors,
    Published,
    publish,
    publish_foo_bar,
    sha256,
    simple,
)
from tests.support.dists import build_wheel


@pytest.fixture
async def published(api: httpx.AsyncClient, tmp_path: Path) -> Published:
    return await publish_foo_bar(api, tmp_path)


async def test_project_list(api: httpx.AsyncClient, published: Published) -> None:
    html = await api.get(simple(FEED))
    assert html.status_code == 200, html.text
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    page = Anchors(html.text)
    assert page.meta == {"pypi:repository-version": "1.1"}
    assert page.anchors == {"Foo.Bar": {"href": "foo-bar/"}}

    as_json = await api.get(simple(FEED), headers={"Accept": PIP_ACCEPT})
    assert as_json.headers["content-type"] == JSON_V1
    assert as_json.json() == {"meta": {"api-version": "1.1"}, "projects": [{"name": "Foo.Bar"}]}


async def test_package_page_html(api: httpx.AsyncClient, published: Published) -> None:
    response = await api.get(simple(FEED, "foo-bar/"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["vary"] == "Accept, Accept-Encoding"
    page = Anchors(response.text)
    assert page.meta == {"pypi:repository-version": "1.1"}
    wheel, sdist = published.wheel, published.sdist
    metadata = (await api.get(simple(FEED, f"foo-bar/{wheel.name}.metadata"))).content
    assert page.anchors == {
        wheel.name: {
            "href": f"{wheel.name}#sha256={sha256(wheel.read_bytes())}",
            "data-requires-python": ">=3.9",
            "data-dist-info-metadata": f"sha256={sha256(metadata)}",
            "data-core-metadata": f"sha256={sha256(metadata)}",
        },
        sdist.name: {"href": f"{sdist.name}#sha256={sha256(sdist.read_bytes())}"},
    }
    assert "&gt;=3.9" in response.text


async def test_package_page_json(api: httpx.AsyncClient, published: Published) -> None:
    response = await api.get(simple(FEED, "foo-bar/"), headers={"Accept": PIP_ACCEPT})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == JSON_V1
    doc = response.json()
    assert doc["meta"] == {"api-version": "1.1"}
    assert doc["name"] == "foo-bar"
    assert doc["versions"] == ["1.0"]
    files = {f["filename"]: f for f in doc["files"]}
    wheel, sdist = published.wheel, published.sdist
    assert set(files) == {wheel.name, sdist.name}
    for path in (wheel, sdist):
        entry = files[path.name]
        assert entry["url"] == path.name
        assert entry["hashes"] == {"sha256": sha256(path.read_bytes())}
        assert entry["size"] == path.stat().st_size
        assert UPLOAD_TIME.match(entry["upload-time"]), entry["upload-time"]
        assert entry["yanked"] is False
    assert files[wheel.name]["requires-python"] == ">=3.9"
    assert "requires-python" not in files[sdist.name]
    metadata = (await api.get(simple(FEED, f"foo-bar/{wheel.name}.metadata"))).content
    with zipfile.ZipFile(wheel) as archive:
        assert metadata == archive.read("foo_bar-1.0.dist-info/METADATA")
    assert files[wheel.name]["core-metadata"] == {"sha256": sha256(metadata)}
    # PEP 714: never the old key in JSON (pip 22.3-23.1 crash on it)
    assert "dist-info-metadata" not in files[wheel.name]
    assert files[sdist.name]["core-metadata"] is False
    # Files resolve relative to the page.
    url = response.url.join(files[sdist.name]["url"])
    assert (await api.get(url)).content == sdist.read_bytes()


@pytest.mark.parametrize(
    ("headers", "params", "content_type"),
    [
        ({}, {}, "text/html; charset=utf-8"),
        ({"Accept": "*/*"}, {}, "text/html; charset=utf-8"),
        ({"Accept": f"text/html;q=0.4, {JSON_V1};q=0.5"}, {}, JSON_V1),
        ({"Accept": f"text/html;q=0.6, {JSON_V1};q=0.5"}, {}, "text/html; charset=utf-8"),
        ({"Accept": "application/vnd.pypi.simple.latest+json"}, {}, JSON_V1),
        ({"Accept": HTML_V1}, {}, HTML_V1),
        ({"Accept": "text/html"}, {"format": JSON_V1}, JSON_V1),
        ({"Accept": "image/png"}, {"format": "text/html"}, "text/html; charset=utf-8"),
    ],
)
async def test_content_negotiation(
    api: httpx.AsyncClient,
    published: Published,
    headers: dict[str, str],
    params: dict[str, str],
    content_type: str,
) -> None:
    for path in (simple(FEED), simple(FEED, "foo-bar/")):
        response = await api.get(path, headers=headers, params=params)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == content_type
        assert response.headers["vary"] == "Accept, Accept-Encoding"
        if content_type == JSON_V1:
            assert response.json()["meta"]["api-version"] == "1.1"
        else:
            assert Anchors(response.text).meta["pypi:repository-version"] == "1.1"


@pytest.mark.parametrize(
    ("headers", "params"),
    [({"Accept": "application/json"}, {}), ({}, {"format": "application/json"})],
)
async def test_not_acceptable(
    api: httpx.AsyncClient, published: Published, headers: dict[str, str], params: dict[str, str]
) -> None:
    response = await api.get(simple(FEED, "foo-bar/"), headers=headers, params=params)
    assert response.status_code == 406
    assert JSON_V1 in response.json()["message"]
    assert response.headers["vary"] == "Accept, Accept-Encoding"


async def test_redirects_to_normalized_urls(api: httpx.AsyncClient, published: Published) -> None:
    wheel = published.wheel.name
    cases = {
        simple(FEED, "Foo.Bar/?format=text/html"): "../foo-bar/?format=text/html",
        simple(FEED, "FOO_bar"): "foo-bar/",
        simple(FEED, "foo-bar"): "foo-bar/",
        simple(FEED, f"Foo_Bar/{wheel}"): f"../foo-bar/{wheel}",
        simple(FEED).rstrip("/"): "simple/",
    }
    for path, location in cases.items():
        response = await api.get(path)
        assert response.status_code == 301, path
        assert response.headers["location"] == location
        followed = await api.get(path, follow_redirects=True)
        assert followed.status_code == 200, path
    page = await api.get(simple(FEED, "Foo.Bar/"), follow_redirects=True)
    assert page.url.path == simple(FEED, "foo-bar/")


async def test_not_found(api: httpx.AsyncClient, published: Published) -> None:
    for path in (
        simple(FEED, "nothing-here/"),
        simple(FEED, "foo-bar/foo_bar-9.0.tar.gz"),
        simple(FEED, f"nothing-here/{published.wheel.name}"),
        simple(FEED, f"foo-bar/{published.sdist.name}.metadata"),
        simple("acme/other", ""),
    ):
        response = await api.get(path)
        assert response.status_code == 404, path
        assert response.json()["message"]


async def test_views(api: httpx.AsyncClient, published: Published) -> None:
    local = await api.get(simple(FEED + "@local", "foo-bar/"))
    assert local.status_code == 200
    assert set(Anchors(local.text).anchors) == {published.wheel.name, published.sdist.name}
    other = await api.get(simple(FEED + "@nope", "foo-bar/"))
    assert other.status_code == 404
    assert other.json() == {"message": "View nope does not exist in feed acme/libs."}
    empty = await api.get(simple(FEED + "@release", "foo-bar/"))
    assert empty.status_code == 404
    assert empty.json() == {"message": "Package foo-bar is not in view release of feed acme/libs."}


async def test_private_feed_asks_anonymous_for_credentials(
    anon: httpx.AsyncClient, published: Published
) -> None:
    for path in (
        simple(FEED),
        simple(FEED, "foo-bar/"),
        simple(FEED, f"foo-bar/{published.wheel.name}"),
        simple(FEED, f"foo-bar/{published.wheel.name}.metadata"),
    ):
        response = await anon.get(path)
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"].startswith("Basic")


async def test_public_feed_is_open_to_anonymous(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, tmp_path: Path
) -> None:
    await make_feed(api, "acme/open", visibility="public")
    wheel = build_wheel(tmp_path, "pub", "2.0")
    await publish(api, "acme/open", wheel)
    page = await anon.get(simple("acme/open", "pub/"))
    assert page.status_code == 200
    assert page.headers["cache-control"] == "max-age=0, must-revalidate"
    download = await anon.get(simple("acme/open", f"pub/{wheel.name}"))
    assert download.status_code == 200
    assert download.content == wheel.read_bytes()
    assert download.headers["cache-control"] == "public, max-age=31536000, immutable"


async def test_project_scoped_feed(api: httpx.AsyncClient, tmp_path: Path) -> None:
    ref = "acme/team/tools"
    await api.post("/_apis/organizations", json={"name": "acme"})
    created = await api.post("/acme/_apis/projects", json={"name": "team"})
    assert created.status_code == 201, created.text
    await make_feed(api, ref)
    wheel = build_wheel(tmp_path, "tool", "0.1")
    await publish(api, ref, wheel)
    page = await api.get(simple(ref, "tool/"))
    assert page.status_code == 200, page.text
    assert set(Anchors(page.text).anchors) == {wheel.name}
    assert (await api.get(simple(ref, f"tool/{wheel.name}"))).content == wheel.read_bytes()
    assert (await api.get(simple("acme/tools", "tool/"))).status_code == 404


async def test_etag_and_not_modified(api: httpx.AsyncClient, published: Published) -> None:
    path = simple(FEED, "foo-bar/")
    first = await api.get(path, headers=PLAIN)
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, max-age=0, must-revalidate"
    again = await api.get(path, headers={**PLAIN, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    # Each representation has its own ETag.
    as_json = await api.get(path, headers={**PLAIN, "Accept": JSON_V1})
    zipped = await api.get(path, headers={"Accept-Encoding": "gzip"})
    assert len({etag, as_json.headers["etag"], zipped.headers["etag"]}) == 3
    stale = await api.get(path, headers={**PLAIN, "If-None-Match": as_json.headers["etag"]})
    assert stale.status_code == 200


async def test_gzip(api: httpx.AsyncClient, published: Published) -> None:
    path = simple(FEED, "foo-bar/")
    plain = await api.get(path, headers=PLAIN)
    assert "content-encoding" not in plain.headers
    assert plain.headers["content-length"] == str(len(plain.content))
    async with api.stream("GET", path, headers={"Accept-Encoding": "gzip"}) as response:
        assert response.headers["content-encoding"] == "gzip"
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
    assert response.headers["content-length"] == str(len(raw))
    assert gzip.decompress(raw) == plain.content


async def test_head_on_pages(api: httpx.AsyncClient, published: Published) -> None:
    path = simple(FEED, "foo-bar/")
    got = await api.get(path, headers=PLAIN)
    head = await api.head(path, headers=PLAIN)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(got.content))
    assert head.headers["etag"] == got.headers["etag"]


async def test_new_upload_shows_on_cached_page(
    api: httpx.AsyncClient, published: Published, tmp_path: Path
) -> None:
    path = simple(FEED, "foo-bar/")
    before = await api.get(path, headers={"Accept": JSON_V1})
    cached = await api.get(path, headers={"Accept": JSON_V1})
    assert cached.content == before.content
    newer = build_wheel(tmp_path / "new", "foo-bar", "1.1")
    await publish(api, FEED, newer)
    after = await api.get(path, headers={"Accept": JSON_V1})
    assert after.json()["versions"] == ["1.0", "1.1"]
    assert newer.name in {f["filename"] for f in after.json()["files"]}
    assert after.headers["etag"] != before.headers["etag"]
    stale = await api.get(
        path, headers={"Accept": JSON_V1, "If-None-Match": before.headers["etag"]}
    )
    assert stale.status_code == 200
    listing = await api.get(simple(FEED), headers={"Accept": JSON_V1})
    assert listing.json()["projects"] == [{"name": "Foo.Bar"}]


@pytest.fixture
def statements(api: httpx.AsyncClient) -> Iterator[list[str]]:
    """SQL statements the app runs while the test is going (token bookkeeping left out)."""
    engine = context_of(api).engine.sync_engine
    seen: list[str] = []

    def record(*args: Any) -> None:
        statement = str(args[2])
        if "UPDATE tokens" not in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


async def test_cache_hit_runs_no_sql(
    api: httpx.AsyncClient, published: Published, statements: list[str]
) -> None:
    path = simple(FEED, "foo-bar/")
    for accept in (JSON_V1, "text/html"):
        await api.get(path, headers={"Accept": accept})
    statements.clear()
    hits = context_of(api).pages.hits
    for accept in (JSON_V1, "text/html"):
        for encoding in ("gzip", "identity"):
            response = await api.get(path, headers={"Accept": accept, "Accept-Encoding": encoding})
            assert response.status_code == 200
    await api.get(simple(FEED, "Foo.Bar/"))
    assert statements == []
    assert context_of(api).pages.hits == hits + 4


async def test_json_pages_are_valid_json_under_gzip(
    api: httpx.AsyncClient, published: Published
) -> None:
    response = await api.get(simple(FEED), headers={"Accept": JSON_V1, "Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert json.loads(response.content)["projects"][0]["name"] == "Foo.Bar"
