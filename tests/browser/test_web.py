"""The web pages in a real Chromium: signing in, browsing to a package, hostile metadata kept
inert, forms refused without their token, the pages by keyboard alone, the copy buttons.

One server for the module (``conftest.server``) holds three feeds, made once by ``catalog``:
``acme/open`` (public: ``shiny`` with a Markdown README), ``acme/closed`` (private:
``secret-lib``) and ``acme/hostile`` (public: ``evil``, whose summary, README and project
links carry script).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    ADMIN,
    ADMIN_PASSWORD,
    Watch,
    publish,
    sign_in,
    signed_in,
)
from tests.support import rest
from tests.support.dists import build_wheel
from tests.support.server import LiveServer

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

OPEN = "/acme/_artifacts/feed/open"
CLOSED = "/acme/_artifacts/feed/closed"
HOSTILE = "/acme/_artifacts/feed/hostile"
README = (
    "Description-Content-Type: text/markdown\n"
    "Project-URL: Home, https://example.org/shiny\n\n"
    "# Shiny things\n\nA library of *shiny* things.\n\n- one\n- two\n"
)
SCRIPT = "<script>alert(1)</script>"
ONERROR = "<img src=x onerror=alert(1)>"
EVIL = (
    "Description-Content-Type: text/markdown\n"
    "Project-URL: Home, javascript:alert(1)\n"
    "Project-URL: Docs, JavaScript:alert(1)\n\n"
    f"# Evil\n\n{SCRIPT}\n\n{ONERROR}\n\n"
    "[click me](javascript:alert(1)) and <a href='javascript:alert(1)'>me too</a>\n\n"
    '<p onclick="alert(1)" onmouseover="alert(1)">hover me</p>\n'
)
# Chromium logs each resource that answers an error status, the page itself included.
FAILED_LOAD = r"Failed to load resource: the server responded with a status of "


@pytest.fixture(scope="module")
def catalog(server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    """The module's server with its three feeds and their packages."""
    dists = tmp_path_factory.mktemp("dists")
    with server.client() as client:
        rest.create_feed(client, "acme/open", visibility="public")
        rest.create_feed(client, "acme/closed")
        rest.create_feed(client, "acme/hostile", visibility="public")
    publish(server, "acme/open", build_wheel(dists, "shiny", "1.0", extra_metadata=README))
    publish(server, "acme/closed", build_wheel(dists, "secret-lib", "0.1"))
    evil = build_wheel(dists, "evil", "6.6.6", summary=f"{SCRIPT} {ONERROR}", extra_metadata=EVIL)
    publish(server, "acme/hostile", evil)
    return server


def test_sign_in_with_the_form(page: Page, catalog: LiveServer) -> None:
    page.goto("/")
    expect(page.get_by_role("link", name="closed")).to_have_count(0)
    page.get_by_role("link", name="Sign in").first.click()
    expect(page).to_have_url(re.compile(r"/_auth/signin\?next=/$"))
    page.get_by_label("Username").fill(ADMIN)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(catalog.url + "/")
    signed_in(page)
    expect(page.get_by_role("link", name="closed")).to_be_visible()


def test_wrong_password_shows_the_sentence(page: Page, catalog: LiveServer, watch: Watch) -> None:
    watch.expect(FAILED_LOAD + "401")
    sign_in(page, ADMIN, "not the password at all")
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    expect(page).to_have_url(re.compile(r"/_auth/signin$"))
    expect(page.get_by_label("Username")).to_have_value(ADMIN)
    expect(page.get_by_label("Password")).to_have_value("")
    expect(page.get_by_text("Signed in as")).to_have_count(0)


def test_browse_from_home_to_a_package_readme(page: Page, catalog: LiveServer) -> None:
    sign_in(page)
    signed_in(page)
    page.get_by_role("link", name="closed").click()
    expect(page).to_have_url(catalog.url + CLOSED)
    expect(page.locator("main > h1")).to_have_text("closed")
    page.get_by_role("link", name="Feeds", exact=True).first.click()
    page.get_by_role("link", name="open", exact=True).click()
    expect(page).to_have_url(catalog.url + OPEN)
    page.get_by_role("link", name="shiny").click()
    expect(page).to_have_url(catalog.url + OPEN + "/package/shiny")
    expect(page.locator("main > h1")).to_have_text("shiny 1.0")
    readme = page.locator(".readme")
    expect(readme.get_by_role("heading", name="Shiny things")).to_be_visible()
    expect(readme.locator("em")).to_have_text("shiny")
    expect(readme.locator("li")).to_have_text(["one", "two"])
    expect(readme).not_to_contain_text("# Shiny")
    expect(page.get_by_role("link", name="Home")).to_have_attribute(
        "href", "https://example.org/shiny"
    )


@pytest.mark.parametrize("path", [HOSTILE, HOSTILE + "/package/evil"])
def test_hostile_metadata_stays_inert(
    page: Page, catalog: LiveServer, watch: Watch, path: str
) -> None:
    # The README's <img src=x> may stay (a relative image is harmless); it loads the 404 page.
    watch.expect(FAILED_LOAD + "404")
    page.goto(path)
    page.wait_for_load_state("load")
    page.mouse.move(10, 10)  # nothing to hover in a headless page, but no handler anyway
    expect(page.get_by_text("alert(1)").first).to_be_visible()  # shown as text, if at all
    assert watch.dialogs == []
    scripts = page.locator("script")
    expect(scripts).to_have_count(1)
    assert (scripts.get_attribute("src") or "").startswith("/_static/quiver.js")
    handlers = page.evaluate(
        """() => [...document.querySelectorAll("*")].flatMap(element =>
            [...element.attributes]
                .filter(attribute => attribute.name.toLowerCase().startsWith("on"))
                .map(attribute => `${element.tagName} ${attribute.name}`))"""
    )
    assert handlers == []
    scripted = page.evaluate(
        """() => [...document.querySelectorAll("[href], [src], [action], [formaction]")]
            .flatMap(element => ["href", "src", "action", "formaction"]
                .map(name => element.getAttribute(name))
                .filter(value => value !== null
                    && /^\\s*javascript:/i.test(value.replace(/[\\u0000-\\u001f]/g, ""))))"""
    )
    assert scripted == []


def test_form_without_its_token_is_refused(page: Page, catalog: LiveServer, watch: Watch) -> None:
    watch.expect(FAILED_LOAD + "403")
    sign_in(page)
    signed_in(page)
    signout = page.locator("form[action='/_auth/signout']")
    signout.locator("input[name=form_token]").evaluate("input => input.remove()")
    with page.expect_response(catalog.url + "/_auth/signout") as answer:
        signout.get_by_role("button", name="Sign out").click()
    assert answer.value.status == 403
    expect(page.get_by_role("alert")).to_have_text(
        "This form has expired or was not sent from this site."
    )
    page.goto("/")
    signed_in(page)  # the session is still there: nothing happened


def test_post_from_the_page_without_a_token_is_refused(page: Page, catalog: LiveServer) -> None:
    sign_in(page)
    refused = page.request.post("/_auth/signout", form={"next": "/"})
    assert refused.status == 403
    page.reload()
    signed_in(page)


def focused(page: Page) -> dict[str, str]:
    """The focused element: its tag, its text and its href (empty when it has none)."""
    found: dict[str, str] = page.evaluate(
        """() => ({tag: document.activeElement.tagName,
                   text: document.activeElement.textContent.trim(),
                   href: document.activeElement.getAttribute("href") || ""})"""
    )
    return found


def tab_to(page: Page, href: str, limit: int = 30) -> None:
    """Press Tab until the link to ``href`` has the focus (at most ``limit`` times)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page)["href"] == href:
            return
    raise AssertionError(f"{limit} presses of Tab never reached {href}: at {focused(page)}")


def test_keyboard_alone_reaches_a_package(page: Page, catalog: LiveServer) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    assert focused(page) == {"tag": "A", "text": "Skip to content", "href": "#main"}
    skip = page.get_by_role("link", name="Skip to content")
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0, "the focused skip link must be on screen"
    outline = skip.evaluate("link => getComputedStyle(link).outlineStyle")
    assert outline != "none", "the focus must be visible"
    tab_to(page, OPEN)
    page.keyboard.press("Enter")
    expect(page).to_have_url(catalog.url + OPEN)
    tab_to(page, OPEN + "/package/shiny")
    page.keyboard.press("Enter")
    expect(page).to_have_url(catalog.url + OPEN + "/package/shiny")
    expect(page.locator("main > h1")).to_have_text("shiny 1.0")


def test_copy_buttons_beside_the_install_lines(page: Page, catalog: LiveServer) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(OPEN + "/package/shiny")
    install = page.locator("#install ~ pre.copy")
    expect(install.first).to_contain_text("pip install --index-url")
    lines = install.count()
    assert lines >= 3  # pip, uv, poetry
    buttons = page.locator("pre.copy + button.copy-button")
    expect(buttons).to_have_count(lines)
    first = buttons.first
    expect(first).to_have_text("Copy")
    expect(first).to_have_accessible_name("Copy to the clipboard")
    first.click()
    expect(first).to_have_text("Copied")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == install.first.inner_text().strip()


def test_a_csp_violation_fails_the_test(page: Page, catalog: LiveServer, watch: Watch) -> None:
    """The guard itself: an inline script the page gets is refused by the CSP, and the
    console error that Chromium logs for it is what would fail any other test."""
    page.goto("/")
    page.evaluate(
        """() => { const script = document.createElement("script");
                   script.textContent = "window.ran = true";
                   document.body.append(script); }"""
    )
    assert page.evaluate("() => window.ran === undefined")
    for _ in range(50):  # the console event comes a moment later
        if watch.problems:
            break
        page.wait_for_timeout(20)
    assert "Content Security Policy" in watch.problems[0], watch.problems
    watch.problems.clear()
