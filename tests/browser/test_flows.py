"""Whole flows in a real Chromium whose outcome real pip sees: a token made on the connect
page installs, promote/yank/delete/restore on the pages change what pip gets, a reader
added and removed on the permissions page, a confirmation completed by keyboard alone.

One server for the module (``conftest.server``); ``catalog`` makes, once, the private feeds
``acme/flows`` (one package per test, so that the tests do not depend on each other's
order) and ``acme/team`` (``team-pkg``, for the reader). pip is ``flows_support.Pip``.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Watch, publish, sign_in, signed_in
from tests.browser.flows_support import (
    FAILED_LOAD,
    Pip,
    second_person,
    tab_until,
    with_credentials,
)
from tests.support import rest
from tests.support.dists import build_wheel
from tests.support.server import LiveServer

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

FEED = "acme/flows"
TEAM = "acme/team"
FEED_PAGE = "/acme/_artifacts/feed/flows"
TEAM_PAGE = "/acme/_artifacts/feed/team"
PACKAGES = {
    FEED: [
        ("conn-pkg", "1.0"),
        ("promo-pkg", "1.0"),
        ("promo-pkg", "2.0"),
        ("yank-pkg", "1.0"),
        ("yank-pkg", "2.0"),
        ("del-pkg", "1.0"),
        ("del-pkg", "2.0"),
        ("keys-pkg", "1.0"),
    ],
    TEAM: [("team-pkg", "1.0")],
}
BOB = "bob"
BOB_PASSWORD = "bob's password in the browser"


@pytest.fixture(scope="module")
def catalog(server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    """The module's server with its two private feeds and their packages."""
    dists = tmp_path_factory.mktemp("flow-dists")
    with server.client() as client:
        for feed in PACKAGES:
            rest.create_feed(client, feed)
    for feed, packages in PACKAGES.items():
        publish(server, feed, *(build_wheel(dists, name, v) for name, v in packages))
    return server


@pytest.fixture(scope="module")
def pip(tmp_path_factory: pytest.TempPathFactory) -> Pip:
    return Pip(tmp_path_factory.mktemp("pip"))


def admin_index(server: LiveServer, view: str | None = None) -> str:
    """The index of ``acme/flows`` (or of one of its views) with the admin's token in it."""
    return server.index_url(FEED, server.admin_token, view)


def version_page(name: str, version: str) -> str:
    return f"{FEED_PAGE}/package/{name}/v/{version}"


def flash(page: Page, text: str) -> None:
    """Assert the sentence the last action left on the page it led to."""
    expect(page.locator("p.flash[role=status]")).to_have_text(text)


def confirm(page: Page, question: str, button: str) -> None:
    """On a confirmation page asking ``question``, press ``button`` (with the mouse)."""
    expect(page.get_by_role("heading", level=1)).to_have_text(question)
    page.get_by_role("button", name=button, exact=True).click()


def version_rows(page: Page) -> list[str]:
    """The text of each row of the package page's Versions table."""
    table = page.get_by_role("region", name="Versions").get_by_role("table")
    rows = table.locator("tbody tr")
    return [re.sub(r"\s+", " ", text).strip() for text in rows.all_inner_texts()]


def test_connect_page_token_installs_with_pip(page: Page, catalog: LiveServer, pip: Pip) -> None:
    sign_in(page)
    signed_in(page)
    page.goto(FEED_PAGE)
    page.get_by_role("link", name="Connect to feed").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Connect to {FEED}")
    page.get_by_role("navigation", name="Tools").get_by_role("link", name="pip", exact=True).click()
    expect(page).to_have_url(re.compile(r"/connect\?tool=pip$"))
    tokens = page.get_by_role("region", name="Create a token for this")
    expect(tokens).to_contain_text("For: Install (packaging:read)")
    tokens.get_by_role("button", name="Create a token").click()
    shown = page.get_by_role("status").filter(has_text="Your new token")
    expect(shown).to_contain_text("shown this once")
    secret = shown.locator("code").inner_text().strip()
    assert secret.startswith("qvr_")
    snippet = page.locator("pre").filter(has_text="export QUIVER_TOKEN=")
    expect(snippet).to_have_count(1)
    text = snippet.inner_text()
    assert f"export QUIVER_TOKEN='{secret}'" in text
    assert "/acme/_packaging/flows/pypi/simple/" in text
    assert pip.install_with_snippet(text, "conn-pkg") == "1.0"


def test_promote_to_release_is_what_the_release_view_installs(
    page: Page, catalog: LiveServer, pip: Pip
) -> None:
    sign_in(page)
    page.goto(version_page("promo-pkg", "1.0"))
    actions = page.get_by_role("region", name="Actions")
    actions.get_by_label("To view").select_option(label="@release")
    actions.get_by_role("button", name="Promote", exact=True).click()
    confirm(page, "Promote promo-pkg 1.0 to @release?", "Promote")
    flash(page, "promo-pkg 1.0 is in @release now.")
    rows = {row.split()[0]: row for row in version_rows(page)}
    assert "@release" in rows["1.0"] and "@release" not in rows["2.0"], rows
    page.goto(FEED_PAGE)
    page.get_by_role("link", name="Connect to feed").click()
    page.get_by_role("navigation", name="Install from").get_by_role("link", name="@release").click()
    index = page.locator("dt:text-is('Index URL') + dd code")
    expect(index).to_contain_text("/acme/_packaging/flows@release/pypi/simple/")
    release = with_credentials(index.inner_text().strip(), catalog.admin_token)
    assert pip.install(release, "promo-pkg") == "1.0"
    assert pip.install(admin_index(catalog), "promo-pkg") == "2.0"


def test_yank_with_a_reason_then_unyank(page: Page, catalog: LiveServer, pip: Pip) -> None:
    sign_in(page)
    page.goto(version_page("yank-pkg", "2.0"))
    actions = page.get_by_role("region", name="Actions")
    actions.get_by_label("Reason (optional, installers show it)").fill("broken build")
    actions.get_by_role("button", name="Yank", exact=True).click()
    confirm(page, "Yank yank-pkg 2.0?", "Yank")
    flash(page, "yank-pkg 2.0 is yanked; installers skip it unless pinned.")
    expect(page.get_by_role("note")).to_have_text("This version is yanked: broken build.")
    assert any(row.endswith("yanked: broken build") for row in version_rows(page))
    assert pip.install(admin_index(catalog), "yank-pkg") == "1.0"
    page.get_by_role("region", name="Actions").get_by_role("button", name="Un-yank").click()
    confirm(page, "Un-yank yank-pkg 2.0?", "Un-yank")
    flash(page, "yank-pkg 2.0 is installable again.")
    expect(page.get_by_role("note")).to_have_count(0)
    assert not any("yanked" in row for row in version_rows(page))
    assert pip.install(admin_index(catalog), "yank-pkg") == "2.0"


def test_delete_then_restore_from_the_recycle_bin(
    page: Page, catalog: LiveServer, pip: Pip
) -> None:
    sign_in(page)
    page.goto(version_page("del-pkg", "2.0"))
    page.get_by_role("region", name="Actions").get_by_role("button", name="Delete").click()
    confirm(page, "Delete del-pkg 2.0?", "Delete")
    expect(page.locator("p.flash")).to_contain_text("del-pkg 2.0 is in the recycle bin")
    expect(page).to_have_url(catalog.url + f"{FEED_PAGE}/package/del-pkg")
    expect(page.get_by_role("heading", level=1)).to_have_text("del-pkg 1.0")
    versions = page.get_by_role("region", name="Versions")
    expect(versions.get_by_role("link", name="2.0", exact=True)).to_have_count(0)
    assert [row.split()[0] for row in version_rows(page)] == ["1.0"]
    refused = pip.refused(admin_index(catalog), "del-pkg==2.0")
    assert "No matching distribution found for del-pkg==2.0" in refused
    page.goto(FEED_PAGE)
    page.get_by_role("link", name="Feed settings").click()
    settings = page.get_by_role("navigation", name="Feed settings")
    settings.get_by_role("link", name="Recycle bin").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Recycle bin")
    page.get_by_role("button", name="Restore del-pkg 2.0").click()
    confirm(page, "Restore del-pkg 2.0?", "Restore")
    flash(page, "Restored del-pkg 2.0: installs find it again.")
    expect(page.get_by_role("button", name="Restore del-pkg 2.0")).to_have_count(0)
    assert pip.install(admin_index(catalog), "del-pkg==2.0") == "2.0"
    page.goto(f"{FEED_PAGE}/package/del-pkg")
    expect(page.get_by_role("heading", level=1)).to_have_text("del-pkg 2.0")


def test_a_reader_added_and_removed_on_the_pages(
    page: Page, catalog: LiveServer, browser: Browser, watch: Watch
) -> None:
    watch.expect(FAILED_LOAD + "40[134]")  # bob's error pages
    sign_in(page)
    page.goto("/_admin/users")
    new_user = page.get_by_role("region", name="Create a user")
    new_user.get_by_label("User name").fill(BOB)
    new_user.get_by_label("Password (optional)").fill(BOB_PASSWORD)
    new_user.get_by_role("button", name="Create user").click()
    expect(page.locator("p.flash")).to_contain_text(BOB)
    expect(page.get_by_role("cell", name=BOB, exact=True)).to_be_visible()
    page.goto(TEAM_PAGE)
    page.get_by_role("link", name="Feed settings").click()
    settings = page.get_by_role("navigation", name="Feed settings")
    settings.get_by_role("link", name="Permissions").click()
    adding = page.get_by_role("region", name="Add a user")
    adding.get_by_label("User name").fill(BOB)
    adding.get_by_label("Role", exact=True).select_option("reader")
    adding.get_by_role("button", name="Add").click()
    flash(page, f"{BOB} is now reader of feed {TEAM}.")
    expect(page.get_by_role("rowheader", name=BOB)).to_be_visible()

    with second_person(browser, catalog, watch) as bob:
        sign_in(bob, BOB, BOB_PASSWORD)
        signed_in(bob, BOB)
        bob.goto("/")
        expect(bob.get_by_role("link", name="flows", exact=True)).to_have_count(0)
        bob.get_by_role("link", name="team", exact=True).click()
        expect(bob).to_have_url(catalog.url + TEAM_PAGE)
        expect(bob.get_by_role("link", name="Feed settings")).to_have_count(0)
        bob.get_by_role("link", name="team-pkg").click()
        expect(bob.get_by_role("heading", level=1)).to_have_text("team-pkg 1.0")
        refused = bob.goto(TEAM_PAGE + "/settings")
        assert refused is not None and refused.status == 403
        expect(bob.get_by_role("heading", level=1)).to_have_text("Not available")
        shown = bob.goto(TEAM_PAGE)
        assert shown is not None and shown.status == 200

        page.get_by_role("button", name=f"Remove {BOB}").click()
        confirm(page, f"Take {BOB}'s role on feed {TEAM} away?", "Remove")
        flash(page, f"{BOB} no longer has a role on feed {TEAM}.")

        again = bob.reload()
        assert again is not None and again.status in (401, 403, 404)
        expect(bob.get_by_role("heading", level=1)).to_have_text("Not available")
        expect(bob.get_by_role("alert")).not_to_be_empty()


def test_a_confirmation_by_keyboard_alone(page: Page, catalog: LiveServer) -> None:
    sign_in(page)
    page.goto(version_page("keys-pkg", "1.0"))
    actions = page.get_by_role("region", name="Actions")
    reason = actions.get_by_label("Reason (optional, installers show it)")
    tab_until(page, reason)
    page.keyboard.type("typed, not clicked")
    tab_until(page, actions.get_by_role("button", name="Yank", exact=True))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Yank keys-pkg 1.0?")
    button = page.get_by_role("button", name="Yank", exact=True)
    expect(button).to_be_focused()  # autofocus: the confirmation is one Enter away
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Cancel")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(button).to_be_focused()
    outline = button.evaluate("element => getComputedStyle(element).outlineStyle")
    assert outline != "none", "the focused button must show its focus"
    page.keyboard.press("Enter")
    flash(page, "keys-pkg 1.0 is yanked; installers skip it unless pinned.")
    expect(page.get_by_role("note")).to_have_text("This version is yanked: typed, not clicked.")
    expect(page.get_by_role("button", name="Un-yank")).to_be_visible()
