"""The API docs page (``/_apis/docs``) works offline: every asset it loads is Quiver's own.

FastAPI's default page loads swagger-ui from a CDN, which air-gapped networks cannot reach
(src/quiver/api/docs_page.py).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import httpx
import pytest

DOCS = "/_apis/docs"
EXPECTED_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png"}


class _Links(HTMLParser):
    """Every ``src=`` and ``href=`` value in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def _links(page: str) -> list[str]:
    parser = _Links()
    parser.feed(page)
    parser.close()
    return parser.urls


@pytest.mark.parametrize("docs", [DOCS, "/_apis/redoc"])
async def test_docs_page_references_only_its_own_assets(anon: httpx.AsyncClient, docs: str) -> None:
    response = await anon.get(docs)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    urls = _links(page)
    assert urls, page
    for url in urls:
        parts = urlsplit(url)
        # no scheme and no host (nor a scheme-relative //host): a path on this server
        assert not parts.scheme and not parts.netloc, url
    assert "cdn." not in page and "https://" not in page and "http://" not in page

    for url in urls:
        asset = await anon.get(url)
        assert asset.status_code == 200, url
        suffix = url[url.rindex(".") :]
        assert EXPECTED_TYPES[suffix] in asset.headers["content-type"], (url, asset.headers)
        assert asset.content
        # the URL holds the version of the package that ships the files
        assert "immutable" in asset.headers["cache-control"], url

    scripts = [url for url in urls if url.endswith(".js")]
    if docs == DOCS:
        assert any(url.endswith("/swagger-ui-bundle.js") for url in scripts), urls
        assert any(url.endswith("/swagger-ui.css") for url in urls), urls
    else:
        assert any(url.endswith("/redoc.standalone.js") for url in scripts), urls
        assert 'spec-url="/_apis/openapi.json"' in page


async def test_docs_page_loads_the_openapi_document(anon: httpx.AsyncClient) -> None:
    page = (await anon.get(DOCS)).text
    match = re.search(r"""\burl:\s*['"]([^'"]+)['"]""", page)
    assert match, page
    assert match.group(1) == "/_apis/openapi.json"
    response = await anon.get(match.group(1))
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Quiver"
    # the docs page and its assets stay out of the API description
    assert not [path for path in response.json()["paths"] if path.startswith(DOCS)]


async def test_unknown_asset_is_404(anon: httpx.AsyncClient) -> None:
    page = (await anon.get(DOCS)).text
    css = next(url for url in _links(page) if url.endswith(".css"))
    assert css.startswith(f"{DOCS}/static/"), css
    missing = await anon.get(css.rsplit("/", 1)[0] + "/no-such-file.js")
    assert missing.status_code == 404
