"""GET a version's details: README, license, dependencies and URLs from its own metadata."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from quiver.domain.details import describe
from tests.http.publishing import make_feed, upload
from tests.http.rest_support import assert_error, ok
from tests.support.dists import build_sdist, build_wheel

FEED = "/acme/_apis/packaging/feeds/libs"
README = """\
Description-Content-Type: text/markdown
License-Expression: MIT
Author: Ada <ada@example.test>
Keywords: alpha,beta
Classifier: Programming Language :: Python :: 3
Classifier: License :: OSI Approved :: MIT License
Provides-Extra: cli
Project-URL: Source, https://example.test/src
Project-URL: Trap, javascript:alert(1)

# Hello

<script>alert("hostile README")</script>
"""


@pytest.fixture
async def feed(api: httpx.AsyncClient) -> str:
    await make_feed(api, "acme/libs")
    return FEED


async def test_a_wheel_s_details_come_from_its_metadata(
    api: httpx.AsyncClient, feed: str, tmp_path: Path
) -> None:
    wheel = build_wheel(
        tmp_path,
        "Foo.Bar",
        "1.0",
        requires_dist=["requests>=2", 'Rich[jupyter]>=13; extra == "cli"'],
        requires_python=">=3.9",
        summary="A foo for bars",
        extra_metadata=README,
    )
    assert (await upload(api, "acme/libs", wheel)).status_code == 200
    found = await ok(api.get(f"{feed}/packages/foo-bar/versions/1.0"))
    assert (found["name"], found["version"], found["summary"]) == (
        "Foo.Bar",
        "1.0",
        "A foo for bars",
    )
    assert found["metadata_from"] == wheel.name
    assert found["description_content_type"] == "text/markdown"
    # the README comes back as text, as written: rendering and sanitizing are the page's job
    assert '<script>alert("hostile README")</script>' in found["description"]
    assert found["license_expression"] == "MIT"
    assert found["requires_python"] == ">=3.9"
    assert found["dependencies"] == [
        {"requirement": "requests>=2", "name": "requests", "extra": None},
        {"requirement": 'Rich[jupyter]>=13; extra == "cli"', "name": "rich", "extra": "cli"},
    ]
    assert found["provides_extra"] == ["cli"]
    # only http(s) URLs: a javascript: URL must never become a link
    assert found["project_urls"] == [{"label": "Source", "url": "https://example.test/src"}]
    assert found["keywords"] == ["alpha", "beta"]
    assert len(found["classifiers"]) == 2
    assert found["author"] == "Ada <ada@example.test>"


async def test_an_sdist_only_version_is_read_from_its_pkg_info(
    api: httpx.AsyncClient, feed: str, tmp_path: Path
) -> None:
    sdist = build_sdist(tmp_path, "solo", "0.3", requires_dist=["idna"], extra_metadata=README)
    assert (await upload(api, "acme/libs", sdist)).status_code == 200
    for _ in range(2):  # the second answer comes from memory; the same either way
        found = await ok(api.get(f"{feed}/packages/solo/versions/0.3"))
        assert found["metadata_from"] == sdist.name
        assert found["dependencies"] == [{"requirement": "idna", "name": "idna", "extra": None}]
        assert found["description"].startswith("# Hello")


async def test_versions_are_matched_as_pep_440_does_and_unknown_ones_are_404(
    api: httpx.AsyncClient, feed: str, tmp_path: Path
) -> None:
    assert (await upload(api, "acme/libs", build_wheel(tmp_path, "foo", "1.0"))).status_code == 200
    assert (await ok(api.get(f"{feed}/packages/FOO/versions/1.0.0")))["version"] == "1.0"
    assert_error(await api.get(f"{feed}/packages/foo/versions/2.0"), 404, "2.0", "acme/libs")
    assert_error(await api.get(f"{feed}/packages/nope/versions/1.0"), 404, "nope")


async def test_a_version_in_the_recycle_bin_has_no_details(
    api: httpx.AsyncClient, feed: str, tmp_path: Path
) -> None:
    assert (await upload(api, "acme/libs", build_wheel(tmp_path, "foo", "1.0"))).status_code == 200
    await ok(api.delete(f"{feed}/packages/foo/versions/1.0"))
    assert_error(await api.get(f"{feed}/packages/foo/versions/1.0"), 404, "1.0")


async def test_readers_only(anon: httpx.AsyncClient, feed: str, tmp_path: Path) -> None:
    """A private feed's versions are not shown to a caller who cannot read it."""
    assert (await anon.get(f"{feed}/packages/foo/versions/1.0")).status_code in (401, 404)


@hypothesis_settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=2048))
def test_describe_takes_any_bytes(raw: bytes) -> None:
    """Whatever the bytes, ``describe`` answers or says they are not metadata, and lists
    only http(s) URLs."""
    try:
        details = describe(b"Name: x\nVersion: 1\n" + raw)
    except ValueError:
        return
    assert all(url.startswith(("http://", "https://")) for _, url in details.project_urls)


async def test_a_version_of_thousands_of_digits_is_404_not_a_crash(
    api: httpx.AsyncClient, feed: str, tmp_path: Path
) -> None:
    """packaging raises ValueError (not InvalidVersion) for a segment over 4300 digits."""
    assert (await upload(api, "acme/libs", build_wheel(tmp_path, "foo", "1.0"))).status_code == 200
    huge = "9" * 5000
    assert_error(await api.get(f"{feed}/packages/foo/versions/{huge}"), 404)
    assert_error(await api.post(f"{feed}/packages/foo/versions/{huge}/yank"), 404)
