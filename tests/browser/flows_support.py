"""Helpers of the browser flow tests (``test_flows.py``): real pip against the module's
server, a second person's browser context, and keyboard focus.

pip is this interpreter's own (``python -m pip``), run with :func:`tests.support.venvs.client_env`
(no configuration of this machine, ``PIP_CONFIG_FILE=/dev/null``) plus ``PIP_NO_CACHE_DIR=1``:
each install goes into a fresh ``--target`` directory, with ``--no-deps`` and the loopback
server as its only index, so the version it reports is the one the feed offered.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page

from quiver.domain.snippets import PACKAGE_PLACEHOLDER
from tests.browser.conftest import VIEWPORT, Watch
from tests.support.server import LiveServer
from tests.support.venvs import client_env, run

# What Chromium logs for each page answered with an error status (the error pages).
FAILED_LOAD = r"Failed to load resource: the server responded with a status of "
_DIST_INFO = re.compile(r"^(?P<name>.+)-(?P<version>[^-]+)\.dist-info$")


def with_credentials(url: str, token: str) -> str:
    """``url`` (``http://host/...``) with ``user:token@`` in front of the host, as pip takes it."""
    scheme, sep, rest = url.partition("://")
    assert sep and "@" not in rest.split("/", 1)[0], url
    return f"{scheme}://user:{token}@{rest}"


class Pip:
    """Real ``pip install --target`` runs, each into a new directory under ``base``."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self._numbers = count()

    def _argv(self, requirement: str) -> tuple[list[str], Path]:
        target = self.base / f"target-{next(self._numbers)}"
        argv = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-cache-dir"]
        argv += ["--progress-bar", "off", "--target", str(target), requirement]
        return argv, target

    @staticmethod
    def env() -> dict[str, str]:
        """pip's environment: nothing of this machine's configuration, no cache."""
        return client_env({"PIP_NO_CACHE_DIR": "1"})

    def install(self, index_url: str, requirement: str) -> str:
        """Install ``requirement`` from ``index_url`` (its only index); the version installed.
        A failing pip fails the caller (AssertionError with pip's redacted output)."""
        argv, target = self._argv(requirement)
        run([*argv[:4], "--index-url", index_url, *argv[4:]], env=self.env())
        return installed_version(target)

    def refused(self, index_url: str, requirement: str) -> str:
        """Run an install that must fail; pip's output (stdout and stderr)."""
        argv, _ = self._argv(requirement)
        done = run([*argv[:4], "--index-url", index_url, *argv[4:]], env=self.env(), check=False)
        output = done.stdout + done.stderr
        assert done.returncode != 0, f"pip installed {requirement} after all:\n{output}"
        return output

    def install_with_snippet(self, snippet: str, requirement: str) -> str:
        """Run a shell snippet of the connect page that ends in ``pip install PACKAGE``: its
        lines before that one run as written in bash (they set the index and credentials in
        the environment), then pip installs ``requirement``; the version installed."""
        lines = snippet.strip().splitlines()
        assert lines and lines[-1] == f"pip install {PACKAGE_PLACEHOLDER}", snippet
        script = "set -eu\n" + "\n".join(lines[:-1]) + '\nexec "$@"\n'
        argv, target = self._argv(requirement)
        run(["bash", "-c", script, "snippet", *argv], env=self.env())
        return installed_version(target)


def installed_version(target: Path) -> str:
    """The version of the one distribution pip installed into ``target``."""
    found = [_DIST_INFO.match(path.name) for path in target.glob("*.dist-info")]
    versions = [match["version"] for match in found if match]
    assert len(versions) == 1, f"expected one distribution in {target}, found {versions}"
    return versions[0]


@contextmanager
def second_person(browser: Browser, server: LiveServer, watch: Watch) -> Iterator[Page]:
    """A page in a context of its own (its own cookies: another person), watched like the
    test's ``page``; closed at the end."""
    context = browser.new_context(base_url=server.url, viewport=VIEWPORT)
    context.set_default_timeout(10_000)
    context.on("page", watch.attach)
    opened = context.new_page()
    watch.attach(opened)
    try:
        yield opened
    finally:
        context.close()


def has_focus(target: Locator) -> bool:
    """True when ``target`` is the focused element of its page."""
    return bool(target.evaluate("element => element === document.activeElement"))


def tab_until(page: Page, target: Locator, limit: int = 80) -> int:
    """Press Tab until ``target`` has the focus (not at all when it has it already); how
    often Tab was pressed. AssertionError after ``limit`` presses."""
    for presses in range(limit + 1):
        if has_focus(target):
            return presses
        page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.outerHTML.slice(0, 200)")
    raise AssertionError(f"{limit} presses of Tab never reached {target}: at {focused}")
