"""Parsing upstream package pages: PEP 691 JSON and PEP 503 HTML, and garbage."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quiver.api.errors import status_of
from quiver.api.index_render import package_html, package_json
from quiver.domain.errors import UpstreamError
from quiver.services.records import FileRecord, PackageListing
from quiver.services.upstreams.remote import RemotePage, parse_html_page, parse_json_page

PAGE = "https://index.example/simple/foo-bar/"
SHA = "ab" * 32
META = "cd" * 32


def doc(files: list[Any], **extra: Any) -> bytes:
    page: dict[str, Any] = {"meta": {"api-version": "1.1"}, "name": "foo-bar", "files": files}
    page.update(extra)
    return json.dumps(page).encode()


def test_json_page_with_every_field() -> None:
    body = doc(
        [
            {
                "filename": "foo_bar-1.0-py3-none-any.whl",
                "url": "../../packages/foo_bar-1.0-py3-none-any.whl",
                "hashes": {"sha256": SHA.upper()},
                "requires-python": ">=3.9",
                "yanked": "broken build",
                "core-metadata": {"sha256": META},
                "size": 1234,
                "upload-time": "2024-05-06T07:08:09.123456Z",
            },
            {
                "filename": "Foo.Bar-1.0.tar.gz",
                "url": "https://files.example/Foo.Bar-1.0.tar.gz",
                "hashes": {},
                "yanked": True,
                "dist-info-metadata": True,
            },
            {"filename": "foo_bar-2.0.tar.gz", "url": "foo_bar-2.0.tar.gz", "yanked": ""},
        ],
        versions=["1.0", "2.0"],
    )
    page = parse_json_page(body, PAGE, "Foo.Bar")
    assert page.name == "foo-bar"
    assert page.versions == ("1.0", "2.0")
    assert page.meta == {"api-version": "1.1"}
    wheel, sdist, newer = page.files
    assert wheel.url == "https://index.example/packages/foo_bar-1.0-py3-none-any.whl"
    assert wheel.hashes == {"sha256": SHA}
    assert wheel.requires_python == ">=3.9"
    assert wheel.yanked == "broken build"
    assert wheel.core_metadata == {"sha256": META}
    assert (wheel.size, wheel.upload_time) == (1234, "2024-05-06T07:08:09.123456Z")
    assert sdist.url == "https://files.example/Foo.Bar-1.0.tar.gz"
    assert sdist.yanked is True
    assert sdist.core_metadata == {}
    assert (sdist.size, sdist.upload_time, sdist.requires_python) == (None, None, None)
    assert newer.yanked is True  # an empty reason still means yanked
    assert newer.core_metadata is None


def test_json_core_metadata_wins_over_its_old_name() -> None:
    body = doc(
        [
            {
                "filename": "foo_bar-1.0.tar.gz",
                "url": "foo_bar-1.0.tar.gz",
                "core-metadata": False,
                "dist-info-metadata": {"sha256": META},
            }
        ]
    )
    assert parse_json_page(body, PAGE).files[0].core_metadata is None


def test_json_skips_what_is_not_a_distribution_of_the_project() -> None:
    body = doc(
        [
            {"filename": "foo_bar-1.0-py2.7.egg", "url": "a.egg"},
            {"filename": "foo_bar-1.0.win32.exe", "url": "a.exe"},
            {"filename": "other-1.0.tar.gz", "url": "other-1.0.tar.gz"},
            {"filename": "foo_bar-1.0.tar.gz", "url": "javascript:alert(1)"},
            {"filename": "foo_bar-1.0.tar.gz", "url": "file:///etc/passwd"},
            {"filename": "../foo_bar-1.0.tar.gz", "url": "x"},
            {"filename": "foo_bar-1.0.tar.gz", "url": "first.tar.gz"},
            {"filename": "foo_bar-1.0.tar.gz", "url": "second.tar.gz"},
        ]
    )
    (only,) = parse_json_page(body, PAGE).files
    assert only.url == PAGE + "first.tar.gz"


def test_json_accepts_any_1x_api_version() -> None:
    body = json.dumps({"meta": {"api-version": "1.4"}, "name": "foo-bar", "files": []})
    page = parse_json_page(body.encode(), PAGE)
    assert page == RemotePage("foo-bar", (), PAGE, None, {"api-version": "1.4"})


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "not valid JSON"),
        (b"{nope", "not valid JSON"),
        (b"\xff\xfe\xfa", "not valid JSON"),
        (b"[" * 100_000, "not valid JSON"),
        (b"[]", "not an object"),
        (b'{"name": "foo-bar", "files": []}', "no meta"),
        (b'{"meta": {"api-version": "2.0"}, "name": "foo-bar", "files": []}', "API version"),
        (b'{"meta": {"api-version": 1}, "name": "foo-bar", "files": []}', "API version"),
        (b'{"meta": {"api-version": "1.0"}, "name": "other", "files": []}', "not 'foo-bar'"),
        (b'{"meta": {"api-version": "1.0"}, "name": "foo-bar", "files": {}}', "no files list"),
        (b'{"meta": {"api-version": "1.0"}, "name": "foo-bar", "files": [1]}', "not an object"),
        (b'{"meta": {"api-version": "1.0"}, "name": "foo-bar", "files": [{}]}', "without"),
        (doc([], versions="1.0"), "versions"),
        (doc([{"filename": "foo_bar-1.tar.gz", "url": "u", "size": -1}]), "bad size"),
        (doc([{"filename": "foo_bar-1.tar.gz", "url": "u", "size": True}]), "bad size"),
        (doc([{"filename": "foo_bar-1.tar.gz", "url": "u", "yanked": 1}]), "yanked"),
        (doc([{"filename": "foo_bar-1.tar.gz", "url": "u", "hashes": []}]), "hashes"),
        (doc([{"filename": "foo_bar-1.tar.gz", "url": "u", "hashes": {"sha256": "x"}}]), "hash"),
        (doc([{"filename": "foo_bar-1.tar.gz", "url": "u", "hashes": {"sha256": "ab"}}]), "sha256"),
        (doc([{"filename": "foo_bar-1.tar.gz", "url": "u", "core-metadata": "y"}]), "core-meta"),
    ],
)
def test_json_garbage_is_an_upstream_error(body: bytes, reason: str) -> None:
    with pytest.raises(UpstreamError, match=reason) as caught:
        parse_json_page(body, PAGE, "foo-bar")
    assert "\n" not in str(caught.value)
    assert status_of(caught.value) == 502


HTML = f"""<!DOCTYPE html>
<html><head><meta name="pypi:repository-version" content="1.0"><title>x</title></head>
<body>
<a href="../../packages/foo_bar-1.0.tar.gz#sha256={SHA}" data-requires-python="&gt;=3.8,&lt;4"
   data-yanked="">foo_bar-1.0.tar.gz</a><br/>
<a href="https://files.example/p/foo_bar-1.0-py3-none-any.whl#md5=00ff&amp;sha256={SHA}"
   data-yanked="bad &quot;wheel&quot;" data-dist-info-metadata="true">whatever</a>
<a href="foo_bar-2.0.tar.gz" data-core-metadata="sha256={META}"
   data-dist-info-metadata="true" data-yanked>foo_bar-2.0.tar.gz</a>
<a href="foo_bar-3.0.tar.gz" data-core-metadata="nonsense">foo_bar-3.0.tar.gz</a>
<a href="other-1.0.tar.gz">other</a> <a>no href</a> <a href="mailto:x@y">mail</a>
<a href="foo_bar-1.0.egg">egg</a> <a href="data:text/plain,foo_bar-1.0.tar.gz">data</a>
<a href="foo%5Fbar-4.0.zip" />
</body></html>
"""


def test_html_page() -> None:
    page = parse_html_page(HTML.encode(), PAGE, "foo-bar")
    assert page.name == "foo-bar"
    assert page.meta == {"api-version": "1.0"}
    assert page.versions is None
    assert [f.filename for f in page.files] == [
        "foo_bar-1.0.tar.gz",
        "foo_bar-1.0-py3-none-any.whl",
        "foo_bar-2.0.tar.gz",
        "foo_bar-3.0.tar.gz",
        "foo_bar-4.0.zip",
    ]
    sdist, wheel, two, three, four = page.files
    assert sdist.url == "https://index.example/packages/foo_bar-1.0.tar.gz"
    assert sdist.hashes == {"sha256": SHA}
    assert sdist.requires_python == ">=3.8,<4"
    assert sdist.yanked is True
    assert sdist.core_metadata is None
    assert wheel.url == "https://files.example/p/foo_bar-1.0-py3-none-any.whl"
    assert wheel.hashes == {"md5": "00ff", "sha256": SHA}
    assert wheel.yanked == 'bad "wheel"'
    assert wheel.core_metadata == {}
    assert two.core_metadata == {"sha256": META}
    assert two.yanked is True
    assert three.core_metadata is None
    assert four.url == PAGE + "foo%5Fbar-4.0.zip"


def test_html_base_href_and_name_from_url() -> None:
    body = b'<html><base href="https://mirror.example/files/"><a href="foo_bar-1.0.tar.gz">x</a>'
    page = parse_html_page(body, PAGE)
    assert page.name == "foo-bar"
    assert page.files[0].url == "https://mirror.example/files/foo_bar-1.0.tar.gz"


def test_html_charset() -> None:
    body = '<a href="foo_bar-1.0.tar.gz" data-yanked="caf\xe9">x</a>'.encode("latin-1")
    with pytest.raises(UpstreamError, match="utf-8"):
        parse_html_page(body, PAGE)
    assert parse_html_page(body, PAGE, encoding="latin-1").files[0].yanked == "caf\xe9"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "not HTML"),
        (b"just some text", "not HTML"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "binary|not valid"),
        (b"<a href='x'>\xff</a>", "not valid utf-8"),
        (b'<meta name="pypi:repository-version" content="2.0"><a>x</a>', "API version"),
    ],
)
def test_html_garbage_is_an_upstream_error(body: bytes, reason: str) -> None:
    with pytest.raises(UpstreamError, match=reason):
        parse_html_page(body, PAGE)


def test_our_own_pages_parse_back() -> None:
    when = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    wheel = FileRecord(
        filename="foo_bar-1.0-py3-none-any.whl",
        version="1.0",
        packagetype="bdist_wheel",
        size=10,
        sha256=SHA,
        blob_key="k",
        requires_python='>=3.8,!="<x>"',
        yanked=True,
        yanked_reason="a <b>reason</b>",
        uploaded_at=when,
        metadata_sha256=META,
        metadata_blob_key="k.metadata",
        metadata_size=3,
    )
    listing = PackageListing("Foo.Bar", "foo-bar", ("1.0",), (wheel,))
    from_json = parse_json_page(package_json(listing), PAGE)
    from_html = parse_html_page(package_html(listing), PAGE)
    for page in (from_json, from_html):
        (remote,) = page.files
        assert remote.url == PAGE + wheel.filename
        assert remote.hashes == {"sha256": SHA}
        assert remote.requires_python == wheel.requires_python
        assert remote.yanked == "a <b>reason</b>"
        assert remote.core_metadata == {"sha256": META}
    assert from_json.files[0].size == 10
    assert from_json.versions == ("1.0",)


# --- fuzzing: whatever the bytes, a page or an UpstreamError -----------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
FILENAMES = st.sampled_from(
    ["foo_bar-1.0.tar.gz", "foo_bar-1.0-py3-none-any.whl", "other-1.0.zip", "foo_bar.egg", ""]
)
URLS = st.sampled_from(
    ["foo_bar-1.0.tar.gz", "https://h/x.whl", "//h/p", "javascript:x", "http://[::1", "?q#f"]
)
HASHES = st.dictionaries(st.sampled_from(["sha256", "md5", ""]), st.sampled_from([SHA, "AB", ""]))
FILE_ENTRIES = st.fixed_dictionaries(
    {"filename": FILENAMES | JSON_VALUES, "url": URLS | st.text(max_size=30)},
    optional={
        key: JSON_VALUES | extra
        for key, extra in {
            "hashes": HASHES,
            "yanked": st.booleans() | st.text(max_size=5),
            "core-metadata": st.booleans() | HASHES,
            "dist-info-metadata": st.booleans() | HASHES,
            "size": st.integers(),
            "requires-python": st.text(max_size=10),
            "upload-time": st.text(max_size=10),
        }.items()
    },
)
JSON_PAGES = st.fixed_dictionaries(
    {
        "meta": st.just({"api-version": "1.1"}) | JSON_VALUES,
        "name": st.just("foo-bar") | JSON_VALUES,
        "files": st.lists(FILE_ENTRIES | JSON_VALUES, max_size=5) | JSON_VALUES,
    },
    optional={"versions": st.lists(st.text(max_size=5)) | JSON_VALUES},
)
PAGE_URLS = st.sampled_from([PAGE, "http://h/simple/foo-bar/", "http://[::1"]) | st.text()


def _check(page: RemotePage) -> None:
    for remote in page.files:
        assert remote.url.startswith(("http://", "https://"))
        assert remote.filename
    assert len({remote.filename for remote in page.files}) == len(page.files)


@given(body=st.binary(max_size=300), page_url=PAGE_URLS, name=st.none() | st.text(max_size=8))
def test_fuzz_bytes(body: bytes, page_url: str, name: str | None) -> None:
    for parse in (parse_json_page, parse_html_page):
        with contextlib.suppress(UpstreamError):
            _check(parse(body, page_url, name))


@given(page=JSON_PAGES, page_url=PAGE_URLS)
def test_fuzz_json_structure(page: dict[str, Any], page_url: str) -> None:
    with contextlib.suppress(UpstreamError):
        _check(parse_json_page(json.dumps(page).encode(), page_url))


ATTRS = st.sampled_from(
    ["href", "data-yanked", "data-requires-python", "data-core-metadata", "name", "content"]
)
TAGS = st.builds(
    lambda tag, attrs, close: (
        f"<{tag} " + " ".join(f'{k}="{v}"' for k, v in attrs) + (" />" if close else ">")
    ),
    st.sampled_from(["a", "base", "meta", "A", "br", "!--", "![CDATA[", "?"]),
    st.lists(st.tuples(ATTRS, URLS | FILENAMES | st.text(max_size=12)), max_size=3),
    st.booleans(),
)
HTML_PIECES = st.lists(
    TAGS | st.text(max_size=10) | st.sampled_from(["</a>", "<!", "&#x", "&", "<", "]]>", "-->"]),
    max_size=12,
)


@given(pieces=HTML_PIECES, page_url=PAGE_URLS)
def test_fuzz_html_structure(pieces: list[str], page_url: str) -> None:
    with contextlib.suppress(UpstreamError):
        _check(parse_html_page("".join(pieces).encode("utf-8", "surrogatepass"), page_url))
