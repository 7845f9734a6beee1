"""The feed page's filters and a package version's actions from its page, in process.

The feed page filters by view and origin, with the name search and paging; a version's
page shows its views, its files' tags and warnings, and, for contributors and owners,
forms to promote, demote, yank, un-yank and delete it. Each action goes through the
signed form, a confirmation, then the same service the REST API calls.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest

from quiver.api.ui import feeds_pages
from quiver.services.index.service import flush_downloads
from tests.http.publishing import context_of, make_feed, upload
from tests.http.ui_support import ORIGIN, post_form, sign_in, token_of, user_with_password
from tests.support.dists import build_sdist, build_wheel

FEED = "acme/libs"
PAGE = "/acme/_artifacts/feed/libs"
REST = "/acme/_apis/packaging/feeds/libs"
SIMPLE = "/acme/_packaging/libs/pypi/simple"
JSON = {"Accept": "application/vnd.pypi.simple.v1+json"}


def version_page(name: str, version: str) -> str:
    return f"{PAGE}/package/{name}/v/{version}"


async def publish(api: httpx.AsyncClient, tmp_path: Path, name: str, *versions: str) -> None:
    for version in versions:
        wheel = build_wheel(tmp_path, name, version, summary=f"{name} summary")
        answer = await upload(api, FEED, wheel)
        assert answer.status_code == 200, answer.text


async def promote(api: httpx.AsyncClient, name: str, version: str, view: str) -> None:
    url = f"{REST}/packages/{name}/versions/{version}/promote"
    answer = await api.post(url, json={"view": view})
    assert answer.status_code == 200, answer.text


async def version_of(api: httpx.AsyncClient, name: str, version: str) -> dict[str, Any]:
    """The version as the REST API lists it (views, yank state)."""
    listed = await api.get(f"{REST}/packages/{name}/versions")
    assert listed.status_code == 200, listed.text
    for entry in listed.json()["versions"]:
        if entry["version"] == version:
            found: dict[str, Any] = entry
            return found
    raise AssertionError(f"{name} {version} is not listed: {listed.text}")


def packages_on(page: httpx.Response) -> list[str]:
    """The package links of a feed page, in order."""
    assert page.status_code == 200, page.text
    return re.findall(r'href="/acme/_artifacts/feed/libs/package/([^"/]+)"', page.text)


def has_actions(page: httpx.Response) -> bool:
    return 'id="version-actions"' in page.text


# --- the feed page ---------------------------------------------------------------------


async def test_feed_page_rows_show_views_origin_and_downloads(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, tmp_path: Path
) -> None:
    await make_feed(api, FEED, visibility="public")
    await publish(api, tmp_path, "alpha", "1.0", "1.1", "1.2")
    await promote(api, "alpha", "1.1", "release")
    wheel = build_wheel(tmp_path, "alpha", "1.2", summary="alpha summary")
    for _ in range(3):
        assert (await anon.get(f"{SIMPLE}/alpha/{wheel.name}")).status_code == 200
    ctx = context_of(api)
    assert await flush_downloads(ctx.sessions, ctx.downloads) == 1

    page = await anon.get(PAGE)
    assert packages_on(page) == ["alpha"]
    row = html.unescape(page.text.split('href="/acme/_artifacts/feed/libs/package/alpha"')[1])
    row = row.split("</tr>")[0]
    assert "@local 1.2 · @release 1.1" in row
    assert "@prerelease" not in row
    assert "alpha summary" in row and ">local<" in row
    assert '<td class="num">3</td>' in row
    for label in ('<label for="view">', '<label for="origin">', '<label for="q">'):
        assert label in page.text
    assert '<option value="release">@release</option>' in page.text


async def test_feed_page_filters_by_view_and_origin_with_search_and_paging(
    api: httpx.AsyncClient,
    anon: httpx.AsyncClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(feeds_pages, "PAGE_SIZE", 2)
    await make_feed(api, FEED, visibility="public")
    for name in ("app-one", "app-two", "app-three", "lib-one", "lib-two"):
        await publish(api, tmp_path, name, "1.0")
    for name in ("app-one", "app-three", "app-two", "lib-two"):
        await promote(api, name, "1.0", "release")
    await promote(api, "lib-one", "1.0", "prerelease")

    everything = await anon.get(PAGE)
    assert "5 packages." in everything.text and "Page 1 of 3" in everything.text
    released = await anon.get(PAGE, params={"view": "release"})
    assert packages_on(released) == ["app-one", "app-three"]
    assert "4 packages with a version in @release" in html.unescape(released.text)
    assert '<option value="release" selected>' in released.text
    next_link = re.search(r'rel="next" href="([^"]+)"', released.text)
    assert next_link is not None
    assert html.unescape(next_link.group(1)) == f"{PAGE}?view=release&page=2"
    second = await anon.get(html.unescape(next_link.group(1)))
    assert packages_on(second) == ["app-two", "lib-two"]
    assert "Page 2 of 2" in second.text

    searched = await anon.get(PAGE, params={"view": "release", "q": "app", "page": "2"})
    assert packages_on(searched) == ["app-two"]
    assert "3 packages starting with" in searched.text
    prerelease = await anon.get(PAGE, params={"view": "PRERELEASE", "q": "lib"})
    assert packages_on(prerelease) == ["lib-one"]
    local = await anon.get(PAGE, params={"view": "local", "q": "lib"})
    assert packages_on(local) == ["lib-one", "lib-two"]

    published = await anon.get(PAGE, params={"origin": "local", "q": "lib"})
    assert packages_on(published) == ["lib-one", "lib-two"]
    saved = await anon.get(PAGE, params={"origin": "upstream"})
    assert packages_on(saved) == [] and "0 packages" in saved.text
    assert "Show every package" in saved.text and "twine upload" not in saved.text


async def test_feed_page_origin_names_the_upstream(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, tmp_path: Path
) -> None:
    await make_feed(api, "acme/src", visibility="public")
    await make_feed(api, FEED, visibility="public")
    added = await api.post(f"{REST}/upstreams", json={"name": "src", "feed": "acme/src"})
    assert added.status_code == 201, added.text
    wheel = build_wheel(tmp_path, "remote-pkg", "3.0")
    assert (await upload(api, "acme/src", wheel)).status_code == 200
    await publish(api, tmp_path, "own-pkg", "1.0")
    listing = (await api.get(f"{SIMPLE}/remote-pkg/", headers=JSON)).json()
    file_url = urljoin(f"{SIMPLE}/remote-pkg/", listing["files"][0]["url"])
    saved = await api.get(file_url)  # the admin (a collaborator and more) saves it
    assert saved.status_code == 200, saved.text

    upstream = await anon.get(PAGE, params={"origin": "upstream"})
    assert packages_on(upstream) == ["remote-pkg"]
    assert "<td>src</td>" in upstream.text
    local = await anon.get(PAGE, params={"origin": "local"})
    assert packages_on(local) == ["own-pkg"]
    assert "<td>local</td>" in local.text


@pytest.mark.parametrize(
    ("params", "status", "sentence"),
    [
        ({"view": "nope"}, 404, "View nope does not exist in feed acme/libs."),
        ({"origin": "elsewhere"}, 400, "Unknown origin 'elsewhere': use local or upstream."),
    ],
)
async def test_feed_page_refuses_unknown_filters(
    api: httpx.AsyncClient,
    anon: httpx.AsyncClient,
    tmp_path: Path,
    params: dict[str, str],
    status: int,
    sentence: str,
) -> None:
    await make_feed(api, FEED, visibility="public")
    await publish(api, tmp_path, "alpha", "1.0")
    answer = await anon.get(PAGE, params=params)
    assert answer.status_code == status
    assert sentence in html.unescape(answer.text)


# --- the package page ------------------------------------------------------------------


async def test_package_page_shows_views_tags_and_warnings(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, tmp_path: Path
) -> None:
    await make_feed(api, FEED, visibility="public")
    native = build_wheel(
        tmp_path,
        "tagged",
        "1.0",
        tag="cp312-cp312-manylinux_2_17_x86_64",
        metadata_version="2.1",
        requires_python=">=3.5.*",
    )
    sdist = build_sdist(tmp_path, "tagged", "1.0")
    for path in (native, sdist):
        assert (await upload(api, FEED, path)).status_code == 200, path
    await promote(api, "tagged", "1.0", "release")

    page = await anon.get(version_page("tagged", "1.0"))
    assert page.status_code == 200
    assert "@local, @release" in page.text
    assert "<td>cp312</td>\n    <td>manylinux_2_17_x86_64</td>" in page.text
    assert "<td>source</td>" in page.text
    assert "Metadata warnings" in page.text and "Requires-Python" in page.text
    assert not has_actions(page)  # anonymous


# --- actions ---------------------------------------------------------------------------


async def signed_in_owner(api: httpx.AsyncClient, anon: httpx.AsyncClient) -> None:
    await user_with_password(api)
    assert (await sign_in(anon)).status_code == 303


async def test_promote_and_demote_from_the_page(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, tmp_path: Path
) -> None:
    await make_feed(api, FEED)
    await publish(api, tmp_path, "alpha", "1.0", "2.0")
    await signed_in_owner(api, anon)
    page = await anon.get(version_page("alpha", "1.0"))
    assert has_actions(page)
    assert '<select id="promote-view" name="view">' in page.text
    assert 'action="/acme/_artifacts/feed/libs/package/alpha/v/1.0/promote"' in page.text
    assert 'id="demote-view"' not in page.text  # in no view yet

    action = version_page("alpha", "1.0") + "/promote"
    done = await post_form(anon, version_page("alpha", "1.0"), action, {"view": "release"})
    assert done.status_code == 303
    assert done.headers["location"] == version_page("alpha", "1.0")
    assert (await version_of(api, "alpha", "1.0"))["views"] == ["local", "release"]
    listed = (await api.get("/acme/_packaging/libs@release/pypi/simple/alpha/")).text
    assert "alpha-1.0-" in listed and "alpha-2.0-" not in listed
    after = await anon.get(done.headers["location"])
    assert "alpha 1.0 is in @release now." in after.text
    assert '<option value="release">@release</option>' in after.text.split('id="demote-view"')[1]

    action = version_page("alpha", "1.0") + "/demote"
    done = await post_form(anon, version_page("alpha", "1.0"), action, {"view": "release"})
    assert done.status_code == 303
    assert (await version_of(api, "alpha", "1.0"))["views"] == ["local"]
    assert "alpha 1.0 is out of @release." in (await anon.get(done.headers["location"])).text


async def test_yank_with_a_reason_then_unyank(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, tmp_path: Path
) -> None:
    await make_feed(api, FEED)
    await publish(api, tmp_path, "alpha", "1.0")
    await signed_in_owner(api, anon)
    here = version_page("alpha", "1.0")
    assert 'maxlength="512"' in (await anon.get(here)).text

    done = await post_form(anon, here, here + "/yank", {"reason": "  broken   on 3.13 "})
    assert done.status_code == 303 and done.headers["location"] == here
    files = (await api.get(f"{SIMPLE}/alpha/", headers=JSON)).json()["files"]
    assert [f["yanked"] for f in files] == ["broken on 3.13"]
    page = await anon.get(here)
    assert "This version is yanked: broken on 3.13." in page.text
    assert 'action="/acme/_artifacts/feed/libs/package/alpha/v/1.0/unyank"' in page.text

    done = await post_form(anon, here, here + "/unyank")
    assert done.status_code == 303
    files = (await api.get(f"{SIMPLE}/alpha/", headers=JSON)).json()["files"]
    assert [f.get("yanked", False) for f in files] == [False]
    assert "alpha 1.0 is installable again." in (await anon.get(here)).text


async def test_delete_moves_to_the_recycle_bin(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, tmp_path: Path
) -> None:
    await make_feed(api, FEED)
    await publish(api, tmp_path, "alpha", "1.0", "2.0")
    await signed_in_owner(api, anon)
    here = version_page("alpha", "2.0")

    done = await post_form(anon, here, here + "/delete")
    assert done.status_code == 303
    assert done.headers["location"] == f"{PAGE}/package/alpha"
    binned = (await api.get(f"{REST}/recycle-bin")).json()
    assert [(e["package"], e["version"]) for e in binned] == [("alpha", "2.0")]
    page = await anon.get(done.headers["location"])
    assert "alpha 2.0 is in the recycle bin" in page.text
    assert "/v/2.0" not in page.text

    last = version_page("alpha", "1.0")
    done = await post_form(anon, last, last + "/delete")
    assert done.status_code == 303 and done.headers["location"] == PAGE
    assert len((await api.get(f"{REST}/recycle-bin")).json()) == 2


async def test_unconfirmed_post_asks_and_changes_nothing(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, tmp_path: Path
) -> None:
    await make_feed(api, FEED)
    await publish(api, tmp_path, "alpha", "1.0")
    await signed_in_owner(api, anon)
    here = version_page("alpha", "1.0")
    cases = [
        ("promote", {"view": "release"}, 'class="primary"'),
        ("yank", {"reason": "why"}, 'class="danger"'),
        ("delete", {}, 'class="danger"'),
    ]
    for action, fields, button in cases:
        asked = await post_form(anon, here, f"{here}/{action}", fields, confirmed=False)
        assert asked.status_code == 200, action
        assert 'name="confirmed" value="yes"' in asked.text and button in asked.text
        assert f'action="{here}/{action}"' in asked.text
        for key, value in fields.items():
            assert f'name="{key}" value="{value}"' in asked.text
    entry = await version_of(api, "alpha", "1.0")
    assert entry["views"] == ["local"] and entry["yanked"] is False
    assert (await api.get(f"{REST}/recycle-bin")).json() == []


async def test_post_without_form_token_is_refused(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, tmp_path: Path
) -> None:
    await make_feed(api, FEED)
    await publish(api, tmp_path, "alpha", "1.0")
    await signed_in_owner(api, anon)
    here = version_page("alpha", "1.0")
    fields = {"view": "release", "confirmed": "yes"}
    answer = await anon.post(here + "/promote", data=fields, headers={"Origin": ORIGIN})
    assert answer.status_code == 403
    fields["form_token"] = "forged"
    answer = await anon.post(here + "/promote", data=fields, headers={"Origin": ORIGIN})
    assert answer.status_code == 403
    assert (await version_of(api, "alpha", "1.0"))["views"] == ["local"]


async def test_reader_sees_no_actions_and_is_refused(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, tmp_path: Path
) -> None:
    await make_feed(api, FEED)
    await publish(api, tmp_path, "alpha", "1.0")
    await user_with_password(api, "bob", admin=False)
    granted = await api.put(f"{REST}/permissions/bob", json={"role": "reader"})
    assert granted.status_code == 200, granted.text
    assert (await sign_in(anon, username="bob")).status_code == 303
    here = version_page("alpha", "1.0")
    page = await anon.get(here)
    assert page.status_code == 200 and "alpha" in page.text
    assert not has_actions(page)
    feed = await anon.get(PAGE)
    assert feed.status_code == 200 and f"{PAGE}/settings" not in feed.text

    for action, fields in (("promote", {"view": "release"}), ("yank", {}), ("delete", {})):
        refused = await post_form(anon, here, f"{here}/{action}", fields)
        assert refused.status_code == 403, action
        assert "You need the" in html.unescape(refused.text)
    entry = await version_of(api, "alpha", "1.0")
    assert entry["views"] == ["local"] and entry["yanked"] is False


async def test_owner_sees_feed_settings_link(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, tmp_path: Path
) -> None:
    await make_feed(api, FEED)
    await publish(api, tmp_path, "alpha", "1.0")
    await signed_in_owner(api, anon)  # an administrator: owner of every feed
    assert f'href="{PAGE}/settings"' in (await anon.get(PAGE)).text


@pytest.mark.parametrize(
    ("action", "fields", "status", "sentence"),
    [
        ("promote", {"view": "nope"}, 404, "View nope does not exist in feed acme/libs."),
        ("promote", {"view": ""}, 400, "Choose a view."),
        ("promote", {"view": "local"}, 400, "Every version is in the view local already."),
        ("demote", {"view": "release"}, 404, "is not in view release"),
        ("yank", {"reason": "x" * 513}, 400, "at most 512 are allowed"),
        ("yank", {"reason": "x" * 5000}, 400, "at most 512 are allowed"),
    ],
)
async def test_bad_input_is_refused_with_a_sentence(
    api: httpx.AsyncClient,
    anon: httpx.AsyncClient,
    tmp_path: Path,
    action: str,
    fields: dict[str, str],
    status: int,
    sentence: str,
) -> None:
    await make_feed(api, FEED)
    await publish(api, tmp_path, "alpha", "1.0")
    await signed_in_owner(api, anon)
    here = version_page("alpha", "1.0")
    answer = await post_form(anon, here, f"{here}/{action}", fields)
    assert answer.status_code == status
    assert sentence in html.unescape(answer.text)
    entry = await version_of(api, "alpha", "1.0")
    assert entry["views"] == ["local"] and entry["yanked"] is False


@pytest.mark.parametrize("action", ["promote", "demote", "yank", "unyank", "delete"])
async def test_unknown_version_is_404(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, tmp_path: Path, action: str
) -> None:
    await make_feed(api, FEED)
    await publish(api, tmp_path, "alpha", "1.0")
    await signed_in_owner(api, anon)
    opened = await anon.get(version_page("alpha", "1.0"))
    data = {"form_token": token_of(opened.text), "confirmed": "yes", "view": "release"}
    for target in (version_page("alpha", "9.9"), version_page("ghost", "1.0")):
        answer = await anon.post(f"{target}/{action}", data=data, headers={"Origin": ORIGIN})
        assert answer.status_code == 404, (target, answer.text)
        assert "is not in feed acme/libs" in answer.text or "does not exist" in answer.text
