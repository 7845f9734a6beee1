"""Helpers for the simple-index tests: URLs, publishing a sample package, parsing pages."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import httpx

from quiver.api.negotiation import HTML_V1, JSON_V1
from tests.http.publishing import make_feed, upload
from tests.support.dists import build_sdist, build_wheel

FEED = "acme/libs"
PIP_ACCEPT = f"{JSON_V1}, {HTML_V1}; q=0.1, text/html; q=0.01"
PLAIN = {"Accept-Encoding": "identity"}
UPLOAD_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def simple(ref: str, rest: str = "") -> str:
    *scope, feed = ref.split("/")
    return f"/{'/'.join(scope)}/_packaging/{feed}/pypi/simple/{rest}"


@dataclass
class Published:
    wheel: Path
    sdist: Path


async def publish(api: httpx.AsyncClient, ref: str, *paths: Path) -> None:
    for path in paths:
        response = await upload(api, ref, path)
        assert response.status_code == 200, response.text


async def publish_foo_bar(api: httpx.AsyncClient, tmp_path: Path) -> Published:
    """``acme/libs`` (private) holding Foo.Bar 1.0 as a wheel (with metadata) and an sdist."""
    await make_feed(api, FEED)
    wheel = build_wheel(tmp_path, "Foo.Bar", "1.0", requires_python=">=3.9")
    sdist = build_sdist(tmp_path, "Foo.Bar", "1.0")
    await publish(api, FEED, wheel, sdist)
    return Published(wheel, sdist)


class Anchors(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.anchors: dict[str, dict[str, str | None]] = {}
        self.meta: dict[str, str | None] = {}
        self._open: dict[str, str | None] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._open = dict(attrs)
        elif tag == "meta":
            found = dict(attrs)
            self.meta[str(found["name"])] = found["content"]

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self.anchors[data] = self._open
            self._open = None


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
