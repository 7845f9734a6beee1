"""Files with metadata that bends the spec publish and save, with warnings; facts of saved files.

Real distributions on the public index carry ``License-File`` under Metadata-Version 2.1,
``Classifier`` under 1.0, Metadata-Version 2.0, invalid ``Requires-Python``: they publish
(200, warnings in the answer and on the file), and an invalid ``Requires-Python`` never
reaches an index page. A file saved from an upstream keeps the upstream's upload time and
yank state. The tests run in-process on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest

from quiver.settings import Settings
from tests.conftest import ADMIN_TOKEN
from tests.http.publishing import make_feed, upload
from tests.http.rest_support import assert_error, ok
from tests.support.dists import build_sdist, build_wheel
from tests.support.fake_index import FakeIndex, Reply, json_reply

FEED = "acme/libs"
SIMPLE = "/acme/_packaging/libs/pypi/simple"
VERSIONS = "/acme/_apis/packaging/feeds/libs/packages/{}/versions"
JSON = {"Accept": "application/vnd.pypi.simple.v1+json"}


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        admin_token=ADMIN_TOKEN,
        upstream_connect_timeout=1.0,
        upstream_read_timeout=1.0,
    )


async def _files(api: httpx.AsyncClient, name: str) -> dict[str, dict[str, object]]:
    listed = await ok(api.get(VERSIONS.format(name)))
    return {file["filename"]: file for v in listed["versions"] for file in v["files"]}


@pytest.mark.parametrize(
    ("metadata_version", "extra", "warning"),
    [
        ("2.1", "License-File: LICENSE", "License-File introduced in metadata version 2.4"),
        ("2.3", "License-Expression: MIT", "License-Expression introduced"),
        ("1.0", "Classifier: Programming Language :: Python", "Classifier introduced"),
        ("2.0", "", "2.0 was never a standard version"),
        ("2.1", "Requires-Dist: broken (>=1", "Requires-Dist"),
        ("2.1", "X-Tool-Field: yes", "Unknown field"),
    ],
)
async def test_spec_departures_publish_with_warnings(
    api: httpx.AsyncClient, tmp_path: Path, metadata_version: str, extra: str, warning: str
) -> None:
    await make_feed(api, FEED)
    wheel = build_wheel(
        tmp_path, "bent", "1.0", metadata_version=metadata_version, extra_metadata=extra
    )
    sdist = build_sdist(
        tmp_path, "bent", "1.0", metadata_version=metadata_version, extra_metadata=extra
    )
    for path in (wheel, sdist):
        answer = await upload(api, FEED, path)
        assert answer.status_code == 200, answer.text
        assert any(warning in w for w in answer.json()["warnings"]), answer.json()
    files = await _files(api, "bent")
    for path in (wheel, sdist):
        warnings = files[path.name]["metadata_warnings"]
        assert isinstance(warnings, list)
        assert any(warning in w for w in warnings), warnings
    # The PEP 658 file is the wheel's own METADATA, byte for byte.
    got = await api.get(f"{SIMPLE}/bent/{wheel.name}.metadata")
    assert extra.encode() in got.content


async def test_clean_metadata_has_no_warnings(api: httpx.AsyncClient, tmp_path: Path) -> None:
    await make_feed(api, FEED)
    wheel = build_wheel(tmp_path, "clean", "1.0", requires_python=">=3.9")
    answer = await upload(api, FEED, wheel)
    assert answer.json()["warnings"] == []
    assert (await _files(api, "clean"))[wheel.name]["metadata_warnings"] == []


async def test_invalid_requires_python_stays_off_index_pages(
    api: httpx.AsyncClient, tmp_path: Path
) -> None:
    await make_feed(api, FEED)
    bad = build_wheel(tmp_path, "rp", "1.0", metadata_version="2.1", requires_python=">=3.5.*")
    good = build_wheel(tmp_path, "rp", "2.0", requires_python=">=3.8")
    for path in (bad, good):
        assert (await upload(api, FEED, path)).status_code == 200
    page = (await api.get(f"{SIMPLE}/rp/", headers=JSON)).json()
    by_name = {f["filename"]: f for f in page["files"]}
    assert "requires-python" not in by_name[bad.name]
    assert by_name[good.name]["requires-python"] == ">=3.8"
    html = (await api.get(f"{SIMPLE}/rp/")).text
    assert "3.5.*" not in html
    assert "&gt;=3.8" in html
    files = await _files(api, "rp")
    assert files[bad.name]["requires_python"] is None
    assert any("Requires-Python" in w for w in files[bad.name]["metadata_warnings"])  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("metadata_version", "extra", "reason"),
    [
        ("2.1", "Name: other", "Name cannot be read"),
        ("3.0", "", "Unsupported Metadata-Version"),
    ],
)
async def test_what_installers_need_still_refuses(
    api: httpx.AsyncClient, tmp_path: Path, metadata_version: str, extra: str, reason: str
) -> None:
    await make_feed(api, FEED)
    wheel = build_wheel(
        tmp_path, "odd", "1.0", metadata_version=metadata_version, extra_metadata=extra
    )
    assert_error(await upload(api, FEED, wheel), 400, reason)
    assert (await api.get(f"{SIMPLE}/odd/")).status_code == 404


async def test_publishing_the_same_file_twice_says_file_exists_with_its_digest(
    api: httpx.AsyncClient, tmp_path: Path
) -> None:
    await make_feed(api, FEED)
    wheel = build_wheel(tmp_path, "twice", "1.0")
    assert (await upload(api, FEED, wheel)).status_code == 200
    again = await upload(api, FEED, wheel)
    assert_error(again, 409, "already exists")
    body = again.json()
    assert body["code"] == "file_exists"
    assert body["sha256"] == hashlib.sha256(wheel.read_bytes()).hexdigest()


def _upstream_page(index: FakeIndex, wheel: Path, **extra: object) -> dict[str, object]:
    data = wheel.read_bytes()
    index.route(f"/files/{wheel.name}", Reply(body=data))
    return {
        "meta": {"api-version": "1.1"},
        "name": "pkg",
        "files": [
            {
                "filename": wheel.name,
                "url": f"{index.url}/files/{wheel.name}",
                "hashes": {"sha256": hashlib.sha256(data).hexdigest()},
                "size": len(data),
                **extra,
            }
        ],
    }


async def _feed_with_upstream(api: httpx.AsyncClient, url: str) -> None:
    await ok(api.post("/_apis/organizations", json={"name": "acme"}), 201)
    body = {"name": "libs", "upstreams": [{"name": "up", "url": url}]}
    await ok(api.post("/acme/_apis/packaging/feeds", json=body), 201)


async def test_a_saved_file_keeps_the_upstream_upload_time_and_yank(
    api: httpx.AsyncClient, tmp_path: Path
) -> None:
    wheel = build_wheel(
        tmp_path, "pkg", "1.0", metadata_version="2.1", extra_metadata="License-File: LICENSE"
    )
    extra = {"upload-time": "2019-05-06T07:08:09.123456Z", "yanked": "broken on Windows"}
    with FakeIndex() as upstream:
        upstream.route("/simple/pkg/", json_reply(_upstream_page(upstream, wheel, **extra)))
        await _feed_with_upstream(api, upstream.url + "/simple/")
        got = await api.get(f"{SIMPLE}/pkg/{wheel.name}")
        assert got.status_code == 200
        assert got.content == wheel.read_bytes()
    # Saved (the upstream is gone now), with the upstream's facts.
    page = (await api.get(f"{SIMPLE}/pkg/", headers=JSON)).json()
    (entry,) = page["files"]
    assert entry["upload-time"] == "2019-05-06T07:08:09.123456Z"
    assert entry["yanked"] == "broken on Windows"
    saved = (await _files(api, "pkg"))[wheel.name]
    assert saved["origin"] == "upstream"
    assert str(saved["uploaded_at"]).startswith("2019-05-06T07:08:09")
    assert saved["saved_at"] is not None
    assert str(saved["saved_at"]) > "2026"
    assert saved["yanked_upstream"] is True
    assert saved["yanked_upstream_reason"] == "broken on Windows"
    assert any("License-File" in w for w in saved["metadata_warnings"])  # type: ignore[attr-defined]


async def test_an_upstream_invalid_requires_python_is_left_out(
    api: httpx.AsyncClient, tmp_path: Path
) -> None:
    wheel = build_wheel(tmp_path, "pkg", "1.0")
    with FakeIndex() as upstream:
        doc = _upstream_page(upstream, wheel, **{"requires-python": ">=3.5.*"})
        upstream.route("/simple/pkg/", json_reply(doc))
        await _feed_with_upstream(api, upstream.url + "/simple/")
        page = (await api.get(f"{SIMPLE}/pkg/", headers=JSON)).json()
    assert [f["filename"] for f in page["files"]] == [wheel.name]
    assert "requires-python" not in page["files"][0]
