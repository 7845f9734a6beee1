"""Odd input is refused with a 4xx sentence, never a 500 (issue 11, items 6, 7 and 11).

NUL and lone surrogates anywhere in a path, query or JSON body; continuation tokens
whose numbers do not fit a 64-bit integer; filenames whose derived blob names would
pass 255 bytes; filenames that are not UTF-8 or carry non-ASCII tags; and malformed
``Range`` headers, which are ignored (the whole file) rather than refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from quiver.domain.continuation import Position
from quiver.domain.distributions import FILENAME_MAX_BYTES
from quiver.services.feeds.models import Feed
from tests.http.publishing import context_of, form_for, make_feed, upload, upload_url
from tests.http.rest_support import assert_error
from tests.http.simple_support import FEED, Published, publish_foo_bar, simple
from tests.http.test_publish import assert_nothing_left
from tests.support.dists import build_wheel

FEEDS = "/acme/_apis/packaging/feeds"
VERSION = FEEDS + "/libs/packages/foo-bar/versions/1.0"


def _raw_json(text: str) -> dict[str, Any]:
    """Keyword arguments sending ``text`` as a JSON body byte for byte (escapes kept)."""
    return {"content": text.encode(), "headers": {"Content-Type": "application/json"}}


# --- 6: NUL and lone surrogates ---------------------------------------------------------------

NUL_PATHS = [
    "/acme%00/_apis/packaging/feeds",
    "/acme/_apis/packaging/feeds/li%00bs",
    "/acme/_apis/packaging/feeds/libs/packages/foo%00/versions",
    "/acme/_packaging/libs/pypi/simple/foo%00/",
    "/acme%00/_packaging/libs/pypi/simple/",
    "/_apis/organizations/ac%00me/members",
]
NUL_BODIES = [
    ("POST", VERSION + "/yank", '{"reason": "bad\\u0000build"}'),
    ("POST", "/_apis/tokens", '{"name": "lap\\u0000top"}'),
    ("POST", FEEDS, '{"name": "other", "description": "a\\u0000b"}'),
    ("PATCH", FEEDS + "/libs", '{"description": "a\\u0000b"}'),
    ("POST", "/_apis/organizations", '{"name": "a\\u0000b"}'),
    ("POST", "/_apis/tokens", '{"name": "x", "feeds": ["acme/li\\u0000bs"]}'),
    ("POST", "/_apis/tokens", '{"name\\u0000": "x"}'),
]
SURROGATE_BODIES = [
    ("POST", VERSION + "/yank", '{"reason": "bad\\ud800build"}'),
    ("POST", "/_apis/tokens", '{"name": "\\udfff"}'),
    ("POST", FEEDS, '{"name": "other", "description": "\\ud800"}'),
    ("PATCH", FEEDS + "/libs", '{"description": "\\udc00 trailing"}'),
    ("POST", "/_apis/organizations", '{"name\\udc00": "x"}'),
    ("POST", "/_apis/auth/device", '{"client_name": "\\ud800"}'),
]


def _not_refused(answer: httpx.Response, fragment: str) -> str | None:
    """None if ``answer`` is a 400 sentence holding ``fragment``; else what it was."""
    try:
        assert_error(answer, 400, fragment)
    except AssertionError:
        return f"{answer.request.method} {answer.request.url}: {answer.status_code} {answer.text}"
    return None


async def test_nul_in_a_path_is_400(api: httpx.AsyncClient, tmp_path: Path) -> None:
    await publish_foo_bar(api, tmp_path)
    wrong = [_not_refused(await api.get(path), "NUL") for path in NUL_PATHS]
    assert [w for w in wrong if w] == []


async def test_nul_in_an_upload_path_is_400_with_a_reason(
    api: httpx.AsyncClient, tmp_path: Path
) -> None:
    await make_feed(api, FEED)
    wheel = build_wheel(tmp_path, "pkg", "1.0")
    files = {"content": (wheel.name, wheel.read_bytes(), "application/octet-stream")}
    answer = await api.post(
        "/acme/_packaging/li%00bs/pypi/upload/", data=form_for(wheel), files=files
    )
    assert_error(answer, 400, "NUL")


async def test_nul_in_a_query_value_is_400(api: httpx.AsyncClient, tmp_path: Path) -> None:
    await publish_foo_bar(api, tmp_path)
    answer = await api.get(FEEDS + "/libs/changes", params={"continuationToken": "a\x00b"})
    assert_error(answer, 400, "NUL")
    answer = await api.get(FEEDS + "/libs/changes?continuation%00Token=x")
    assert_error(answer, 400, "NUL")


async def test_nul_and_lone_surrogates_in_json_are_400(
    api: httpx.AsyncClient, tmp_path: Path
) -> None:
    await publish_foo_bar(api, tmp_path)
    wrong = []
    for bodies, fragment in ((NUL_BODIES, "NUL"), (SURROGATE_BODIES, "surrogate")):
        for method, url, body in bodies:
            answer = await api.request(method, url, **_raw_json(body))
            wrong.append(_not_refused(answer, fragment))
    assert [w for w in wrong if w] == []


async def test_the_token_endpoint_refuses_them_anonymously(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    for body in (
        '{"grant_type": "\\ud800", "device_code": "x"}',
        '{"grant_type": "x", "device_code": "\\u0000"}',
    ):
        answer = await anon.post("/_apis/auth/token", **_raw_json(body))
        assert answer.status_code == 400, answer.text
        assert "\n" not in answer.json()["message"]
    form = await anon.post(
        "/_apis/auth/token",
        content=b"grant_type=x&device_code=a%00b",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_error(form, 400, "NUL")


async def test_paired_surrogates_and_escaped_backslashes_pass(
    api: httpx.AsyncClient, tmp_path: Path
) -> None:
    """A surrogate pair is one character, and ``\\\\u0000`` is a backslash and text."""
    await publish_foo_bar(api, tmp_path)
    answer = await api.post(
        VERSION + "/yank", **_raw_json('{"reason": "\\ud83d\\ude00 \\\\u0000"}')
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["yanked_reason"] == "\U0001f600 \\u0000"


# --- 6: continuation tokens -------------------------------------------------------------------


async def test_continuation_numbers_past_64_bits_are_400(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await make_feed(api, FEED, visibility="public")
    async with context_of(api).sessions() as session:
        feed_id = await session.scalar(select(Feed.id).where(Feed.name == "libs"))
    assert feed_id is not None
    for seq in (2**63, 2**63 - 1 + 10**6, 10**40):
        token = Position("changes", feed_id, seq).token()
        for client in (api, anon):
            answer = await client.get(FEEDS + "/libs/changes", params={"continuationToken": token})
            assert_error(answer, 400, "continuation token")
    huge_feed = Position("changes", 2**64, 1).token()
    answer = await anon.get(FEEDS + "/libs/changes", params={"continuationToken": huge_feed})
    assert_error(answer, 400, "continuation token")
    audit = Position("audit", feed_id, 2**63).token()
    answer = await api.get(FEEDS + "/libs/audit", params={"continuationToken": audit})
    assert_error(answer, 400, "continuation token")
    largest = Position("changes", feed_id, 2**63 - 1).token()
    answer = await anon.get(FEEDS + "/libs/changes", params={"continuationToken": largest})
    assert answer.status_code == 200, answer.text


# --- 6: filename byte limits ------------------------------------------------------------------


def _wheel_named(tmp_path: Path, length: int, fill: str = "a") -> tuple[str, bytes]:
    """A valid wheel (bytes) whose filename is ``length`` characters: a long build tag."""
    wheel = build_wheel(tmp_path, "pkg", "1.0")
    stem, tags = "pkg-1.0-", "-py3-none-any.whl"
    build = "1" + fill * (length - len(stem) - len(tags) - 1)
    return f"{stem}{build}{tags}", wheel.read_bytes()


async def test_filenames_past_the_byte_limit_are_400(
    api: httpx.AsyncClient, tmp_path: Path
) -> None:
    await make_feed(api, FEED)
    for length, fill in ((247, "a"), (250, "a"), (255, "a"), (149, "é"), (300, "a")):
        filename, data = _wheel_named(tmp_path, length, fill)
        assert len(filename.encode()) > FILENAME_MAX_BYTES
        answer = await upload(
            api, FEED, tmp_path / "pkg-1.0-py3-none-any.whl", data=data, filename=filename
        )
        assert_error(answer, 400, f"{FILENAME_MAX_BYTES} bytes")
    await assert_nothing_left(api)


async def test_a_filename_at_the_byte_limit_publishes(
    api: httpx.AsyncClient, tmp_path: Path
) -> None:
    await make_feed(api, FEED)
    filename, data = _wheel_named(tmp_path, FILENAME_MAX_BYTES)
    answer = await upload(
        api, FEED, tmp_path / "pkg-1.0-py3-none-any.whl", data=data, filename=filename
    )
    assert answer.status_code == 200, answer.text
    assert (await api.get(simple(FEED, f"pkg/{filename}"))).status_code == 200
    assert (await api.get(simple(FEED, f"pkg/{filename}.metadata"))).status_code == 200


# --- 7: filenames that are not UTF-8, and non-ASCII tags --------------------------------------


def _multipart(filename: bytes, data: bytes, fields: dict[str, str]) -> tuple[bytes, str]:
    boundary = "quiverboundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="content"; filename="'.encode()
        + filename
        + b'"\r\nContent-Type: application/octet-stream\r\n\r\n'
        + data
        + b"\r\n"
    )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


async def test_a_filename_that_is_not_utf8_is_400(api: httpx.AsyncClient, tmp_path: Path) -> None:
    await make_feed(api, FEED)
    wheel = build_wheel(tmp_path, "pkg", "1.0")
    data = wheel.read_bytes()
    filename = b"pkg-1.0-py3-none-any\xff.whl"
    body, content_type = _multipart(filename, data, form_for(wheel, data))
    answer = await api.post(upload_url(FEED), content=body, headers={"Content-Type": content_type})
    assert_error(answer, 400, "UTF-8")
    await assert_nothing_left(api)


async def test_a_utf8_filename_still_reads(api: httpx.AsyncClient, tmp_path: Path) -> None:
    """Valid UTF-8 is decoded as such (the refusal below is for the tag, not the bytes)."""
    await make_feed(api, FEED)
    wheel = build_wheel(tmp_path, "pkg", "1.0")
    data = wheel.read_bytes()
    body, content_type = _multipart(
        "pkg-1.0-py3-none-linux_é.whl".encode(), data, form_for(wheel, data)
    )
    answer = await api.post(upload_url(FEED), content=body, headers={"Content-Type": content_type})
    message = assert_error(answer, 400, "ASCII")
    assert "linux_é" in message


async def test_non_ascii_tags_are_400(api: httpx.AsyncClient, tmp_path: Path) -> None:
    await make_feed(api, FEED)
    wheel = build_wheel(tmp_path, "pkg", "1.0")
    for tag in ("py3-none-linux_x86_64é", "py3-none-ａｎｙ", "py3é-none-any", "py3-nonè-any"):
        answer = await upload(api, FEED, wheel, filename=f"pkg-1.0-{tag}.whl")
        assert_error(answer, 400, "ASCII")
    await assert_nothing_left(api)


# --- 11: Range --------------------------------------------------------------------------------


@pytest.fixture(params=["sendfile", "stream"])
def blob_mode(request: pytest.FixtureRequest, api: httpx.AsyncClient) -> Iterator[str]:
    """Serve files from the local path (sendfile) or through ``iter_bytes`` (other stores)."""
    blobs: Any = context_of(api).blobs
    original = blobs.local_path
    if request.param == "stream":
        blobs.local_path = lambda key: None
    yield request.param
    blobs.local_path = original


MALFORMED_RANGES = [
    "bytes=abc",
    "bits=0-5",
    "bytes=5-2",
    "bytes=",
    "bytes=-",
    "bytes 0-5",
    "bytes=0-5,abc",
    "bytes=１-5",
    "bytes=1_0-20",
    "bytes=+1-20",
    "=0-5",
]


async def test_a_malformed_range_sends_the_whole_file(
    api: httpx.AsyncClient, tmp_path: Path, blob_mode: str
) -> None:
    published: Published = await publish_foo_bar(api, tmp_path)
    data = published.wheel.read_bytes()
    path = simple(FEED, f"foo-bar/{published.wheel.name}")
    wrong = []
    for header in MALFORMED_RANGES:
        answer = await api.get(path, headers={b"Range": header.encode()})
        if answer.status_code != 200 or answer.content != data:
            wrong.append((header, answer.status_code))
        assert "content-range" not in answer.headers
    assert wrong == []


async def test_an_unsatisfiable_range_stays_416(
    api: httpx.AsyncClient, tmp_path: Path, blob_mode: str
) -> None:
    published = await publish_foo_bar(api, tmp_path)
    size = published.wheel.stat().st_size
    path = simple(FEED, f"foo-bar/{published.wheel.name}")
    for header in (f"bytes={size}-", f"bytes={size + 10}-{size + 20}", "bytes=-0"):
        answer = await api.get(path, headers={"Range": header})
        assert answer.status_code == 416, header
        assert answer.headers["content-range"] == f"bytes */{size}"


async def test_a_well_formed_range_still_works(
    api: httpx.AsyncClient, tmp_path: Path, blob_mode: str
) -> None:
    published = await publish_foo_bar(api, tmp_path)
    data = published.wheel.read_bytes()
    path = simple(FEED, f"foo-bar/{published.wheel.name}")
    for header, start, end in (
        ("bytes=0-9", 0, 10),
        ("Bytes=3-5", 3, 6),
        ("bytes=-4", len(data) - 4, len(data)),
    ):
        answer = await api.get(path, headers={"Range": header})
        assert answer.status_code == 206, header
        assert answer.content == data[start:end]


async def test_range_numbers_of_any_length(
    api: httpx.AsyncClient, tmp_path: Path, blob_mode: str
) -> None:
    """Past the last byte means "to the end"; a start past it is unsatisfiable."""
    published = await publish_foo_bar(api, tmp_path)
    data = published.wheel.read_bytes()
    path = simple(FEED, f"foo-bar/{published.wheel.name}")
    huge = "9" * 5000
    for header in (f"bytes=0-{huge}", f"bytes=-{huge}", f"bytes=00-{huge}"):
        answer = await api.get(path, headers={"Range": header})
        assert answer.status_code == 206, header
        assert answer.content == data
    answer = await api.get(path, headers={"Range": f"bytes={huge}-"})
    assert answer.status_code == 416
    answer = await api.get(path, headers={"Range": f"bytes={huge}-{huge[:-1]}"})
    assert answer.status_code == 200  # last before first: invalid, so ignored


# --- found by the fuzzers ---------------------------------------------------------------------


async def test_a_non_ascii_digest_is_400(api: httpx.AsyncClient, tmp_path: Path) -> None:
    """hmac.compare_digest refuses non-ASCII text with a TypeError (was a 500)."""
    await make_feed(api, FEED)
    wheel = build_wheel(tmp_path, "pkg", "1.0")
    for digest in ("é" * 64, "\U0001f600", "０" * 64):
        fields = form_for(wheel, overrides={"sha256_digest": digest})
        answer = await upload(api, FEED, wheel, fields=fields)
        assert_error(answer, 400, "digest")
    await assert_nothing_left(api)


async def test_errors_quoting_a_line_break_stay_one_line(
    api: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    """A name with a line break (or another control) is quoted escaped in the sentence."""
    await make_feed(api, FEED)
    for client in (api, anon):
        answer = await client.get("/acme/a%0Ab/_apis/packaging/feeds/x%0D%1B")
        message = assert_error(answer, answer.status_code)
        assert answer.status_code in (401, 404)
        assert "\\n" in message or "\\r" in message


async def test_nul_in_a_summary_is_kept_out_of_the_database(
    api: httpx.AsyncClient, tmp_path: Path
) -> None:
    """PostgreSQL cannot store NUL in text: the summary is stored without it (a warning
    says so), and the ``.metadata`` file stays the file's own bytes."""
    await make_feed(api, FEED)
    wheel = build_wheel(tmp_path, "pkg", "1.0", summary="nul\x00here")
    answer = await upload(api, FEED, wheel)
    assert answer.status_code == 200, answer.text
    assert any("NUL" in warning for warning in answer.json()["warnings"])
    versions = await api.get(FEEDS + "/libs/packages/pkg/versions")
    assert versions.status_code == 200, versions.text
    assert "\x00" not in versions.text
    metadata = await api.get(simple(FEED, f"pkg/{wheel.name}.metadata"))
    assert b"nul\x00here" in metadata.content
