"""Rendering of index pages: PEP 503 HTML and PEP 691/700 JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser
from typing import Any

from quiver.api.index_render import (
    API_VERSION,
    package_html,
    package_json,
    project_list_html,
    project_list_json,
    render_package,
    render_project_list,
    upload_time,
)
from quiver.services.records import FileRecord, PackageListing, PackageName

WHEN = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
SHA = "a" * 64
META = "b" * 64


def record(filename: str, version: str = "1.0", **changes: Any) -> FileRecord:
    values: dict[str, Any] = {
        "filename": filename,
        "version": version,
        "packagetype": "bdist_wheel" if filename.endswith(".whl") else "sdist",
        "size": 1234,
        "sha256": SHA,
        "blob_key": f"aa/aa/{SHA}/{filename}",
        "requires_python": None,
        "yanked": False,
        "yanked_reason": None,
        "uploaded_at": WHEN,
    }
    values.update(changes)
    return FileRecord(**values)


LISTING = PackageListing(
    name="Foo.Bar",
    normalized="foo-bar",
    versions=("1.0", "2.0"),
    files=(
        record("foo_bar-1.0.tar.gz"),
        record(
            "foo_bar-1.0+local-py3-none-any.whl",
            requires_python='>=3.8,<4,!="x"',
            metadata_sha256=META,
            metadata_blob_key="k.metadata",
            metadata_size=99,
        ),
        record("foo_bar-2.0.tar.gz", "2.0", yanked=True, yanked_reason="broken <b>"),
        record("foo_bar-2.0-py3-none-any.whl", "2.0", yanked=True),
    ),
)


class Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.anchors: list[tuple[dict[str, str | None], str]] = []
        self.meta: dict[str, str | None] = {}
        self._attrs: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._attrs = dict(attrs)
        if tag == "meta":
            found = dict(attrs)
            self.meta[str(found.get("name"))] = found.get("content")

    def handle_data(self, data: str) -> None:
        if self._attrs is not None:
            self.anchors.append((self._attrs, data))
            self._attrs = None


def parse(body: bytes) -> Anchors:
    parser = Anchors()
    parser.feed(body.decode("utf-8"))
    return parser


def test_project_list_html() -> None:
    names = [PackageName("Foo.Bar", "foo-bar"), PackageName("a<b", "a<b")]
    page = parse(project_list_html(names))
    assert page.meta == {"pypi:repository-version": API_VERSION}
    assert page.anchors == [({"href": "foo-bar/"}, "Foo.Bar"), ({"href": "a%3Cb/"}, "a<b")]
    assert render_project_list(names, "html") == project_list_html(names)


def test_project_list_json() -> None:
    names = [PackageName("Foo.Bar", "foo-bar")]
    assert json.loads(project_list_json(names)) == {
        "meta": {"api-version": "1.1"},
        "projects": [{"name": "Foo.Bar"}],
    }
    assert render_project_list(names, "json") == project_list_json(names)
    assert json.loads(project_list_json([]))["projects"] == []


def test_package_html_anchors() -> None:
    page = parse(package_html(LISTING))
    assert page.meta == {"pypi:repository-version": API_VERSION}
    by_text = {text: attrs for attrs, text in page.anchors}
    assert list(by_text) == [f.filename for f in LISTING.files]

    assert by_text["foo_bar-1.0.tar.gz"] == {"href": f"foo_bar-1.0.tar.gz#sha256={SHA}"}
    wheel = by_text["foo_bar-1.0+local-py3-none-any.whl"]
    assert wheel == {
        "href": f"foo_bar-1.0+local-py3-none-any.whl#sha256={SHA}",
        "data-requires-python": '>=3.8,<4,!="x"',
        "data-dist-info-metadata": f"sha256={META}",
        "data-core-metadata": f"sha256={META}",
    }
    assert by_text["foo_bar-2.0.tar.gz"]["data-yanked"] == "broken <b>"
    assert by_text["foo_bar-2.0-py3-none-any.whl"]["data-yanked"] == ""
    raw = package_html(LISTING).decode()
    assert 'data-requires-python="&gt;=3.8,&lt;4,!=&quot;x&quot;"' in raw
    assert "<b>" not in raw
    assert render_package(LISTING, "html") == package_html(LISTING)


def test_package_json() -> None:
    doc = json.loads(package_json(LISTING))
    assert doc["meta"] == {"api-version": "1.1"}
    assert doc["name"] == "foo-bar"
    assert doc["versions"] == ["1.0", "2.0"]
    files = {f["filename"]: f for f in doc["files"]}
    assert list(files) == [f.filename for f in LISTING.files]
    assert files["foo_bar-1.0.tar.gz"] == {
        "filename": "foo_bar-1.0.tar.gz",
        "url": "foo_bar-1.0.tar.gz",
        "hashes": {"sha256": SHA},
        "size": 1234,
        "upload-time": "2024-05-06T07:08:09.123456Z",
        "yanked": False,
        "core-metadata": False,
    }
    wheel = files["foo_bar-1.0+local-py3-none-any.whl"]
    assert wheel["url"] == "foo_bar-1.0+local-py3-none-any.whl"
    assert wheel["requires-python"] == '>=3.8,<4,!="x"'
    assert wheel["core-metadata"] == {"sha256": META}
    assert "dist-info-metadata" not in wheel
    assert files["foo_bar-2.0.tar.gz"]["yanked"] == "broken <b>"
    assert files["foo_bar-2.0-py3-none-any.whl"]["yanked"] is True
    assert render_package(LISTING, "json") == package_json(LISTING)


def test_upload_time_is_utc_with_z() -> None:
    east = WHEN.astimezone(timezone(timedelta(hours=5)))
    assert upload_time(east) == "2024-05-06T07:08:09.123456Z"
    assert upload_time(WHEN.replace(tzinfo=None, microsecond=0)) == "2024-05-06T07:08:09.000000Z"


def test_unusual_filenames_are_quoted_in_links() -> None:
    listing = PackageListing("x", "x", ("1",), (record("x-1 ?#.tar.gz", "1"),))
    (attrs, text), *_ = parse(package_html(listing)).anchors
    assert attrs["href"] == f"x-1%20%3F%23.tar.gz#sha256={SHA}"
    assert text == "x-1 ?#.tar.gz"
    assert json.loads(package_json(listing))["files"][0]["url"] == "x-1%20%3F%23.tar.gz"
