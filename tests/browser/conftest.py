"""Fixtures of the browser tests: the web pages of a real ``quiver serve`` in a real Chromium.

* ``server``: a server process of the module's own (``tests.support.server``), whose
  administrator ``admin`` has the password :data:`ADMIN_PASSWORD` (set through the REST API).
* ``browser``: Debian's ``/usr/bin/chromium`` driven by Playwright. Never a browser build of
  Playwright's own: ``make test`` installs the Debian package when it is missing
  (``make chromium``). Without it the tests are skipped, except under CI (``CI=true``), where
  they fail. One browser per module, not per session: Playwright's sync API leaves its event
  loop marked as running in the thread while it is started, and the async tests that the same
  xdist worker runs later could not start theirs; closing it at the module's end gives them
  back a clean thread (launching Chromium takes about a second).
* ``page``: a page in a fresh context (no cookies) whose relative URLs go to ``server``.
  The test fails if any page of its context logged a console error (Chromium logs each CSP
  violation as one), threw an uncaught exception or opened a dialog, unless the test said it
  expected that message (``watch.expect``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserType,
    ConsoleMessage,
    Dialog,
    Error,
    Page,
    ViewportSize,
    expect,
    sync_playwright,
)

from tests.http.publishing import form_for
from tests.support.server import LiveServer, live_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-dev-shm-usage",  # /dev/shm is small in containers
    "--disable-background-networking",  # no calls home: the tests run offline
]
ADMIN = "admin"
ADMIN_PASSWORD = "browser tests' admin password"
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}


def launch_chromium(chromium: BrowserType) -> Browser:
    """Debian's Chromium, headless, with the arguments every caller needs."""
    return chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def set_password(server: LiveServer, username: str, password: str) -> None:
    """Give ``username`` a password through the REST API, as the server's administrator."""
    with server.client() as client:
        response = client.put(f"/_apis/users/{username}/password", json={"password": password})
        assert response.status_code == 204, response.text


def publish(server: LiveServer, feed: str, *paths: Path) -> None:
    """Upload ``paths`` to ``feed`` (``ORG/FEED``) as twine does, as the administrator."""
    with server.client() as client:
        for path in paths:
            data = path.read_bytes()
            response = client.post(
                server.upload_url(feed),
                data=form_for(path, data),
                files={"content": (path.name, data, "application/octet-stream")},
            )
            assert response.status_code == 200, response.text


def sign_in(page: Page, username: str = ADMIN, password: str = ADMIN_PASSWORD) -> None:
    """Sign in through the sign-in form, as a person would; return on the page it leads to
    (the form again, with its sentence, when the password is wrong)."""
    page.goto("/_auth/signin")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def signed_in(page: Page, username: str = ADMIN) -> None:
    """Assert that the page says ``username`` is signed in."""
    expect(page.get_by_role("navigation", name="Site")).to_contain_text(f"Signed in as {username}")


@dataclass
class Watch:
    """What the pages of one test's context reported that no page of Quiver should."""

    problems: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    expected: list[re.Pattern[str]] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    reported: int = 0

    def expect(self, pattern: str) -> None:
        """Tolerate console errors matching ``pattern`` (a regular expression) in this test,
        e.g. the "Failed to load resource" line Chromium logs for a 403 page."""
        self.expected.append(re.compile(pattern))

    def console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        url = message.location.get("url", "?")
        text = f"console error at {url}: {message.text}"
        if not any(pattern.search(message.text) for pattern in self.expected):
            self.problems.append(text)

    def page_error(self, error: Error) -> None:
        self.problems.append(f"uncaught exception: {error.message}")

    def dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def attach(self, page: Page) -> None:
        """Listen to ``page`` (once, however often it is attached)."""
        if any(seen is page for seen in self.pages):
            return
        self.pages.append(page)
        page.on("console", self.console)
        page.on("pageerror", self.page_error)
        page.on("dialog", self.dialog)

    def unexpected(self) -> list[str]:
        """Every problem not expected, and every dialog (no page of Quiver opens one)."""
        return self.problems + [f"dialog {text}" for text in self.dialogs]

    def check(self) -> None:
        """Fail the test with every problem not yet reported by an earlier check."""
        problems = self.unexpected()[self.reported :]
        self.reported += len(problems)
        if problems:
            pytest.fail("the pages reported:\n" + "\n".join(problems), pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """A test whose pages reported a problem fails (a failure, not an error at teardown);
    the problems of a test that failed anyway are shown at its teardown."""
    result = yield
    watch = getattr(item, "funcargs", {}).get("watch")
    if isinstance(watch, Watch):
        watch.check()
    return result


@pytest.fixture(scope="module")
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A server of the module's own whose ``admin`` signs in with ADMIN_PASSWORD."""
    name = request.module.__name__.rpartition(".")[2]
    with live_server(tmp_path_factory.mktemp(name) / "data") as running:
        set_password(running, ADMIN, ADMIN_PASSWORD)
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium (``/usr/bin/chromium``); see the module docstring for its scope."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: `make chromium` installs Debian's package"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        launched = launch_chromium(playwright.chromium)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def watch() -> Watch:
    """The problems the test's pages reported (see :class:`Watch`)."""
    return Watch()


@pytest.fixture
def page(browser: Browser, server: LiveServer, watch: Watch) -> Iterator[Page]:
    """A page of a fresh context on ``server``; the test fails on any problem ``watch`` saw."""
    context = browser.new_context(base_url=server.url, viewport=VIEWPORT)
    context.set_default_timeout(10_000)
    context.on("page", watch.attach)  # pages the test's pages open
    opened = context.new_page()
    watch.attach(opened)
    try:
        yield opened
    finally:
        context.close()
    watch.check()  # what came after the test's body (or with its own failure)
