"""Screenshots of the web pages for the docs: ``docs/images/web-*.png``, 1280x800.

Starts ``quiver serve`` on a free loopback port with a temporary data directory, fills it
with a small demo (an organization with three feeds and a few packages whose wheels and
READMEs are built here: no internet), opens the sign-in page, signs in as the administrator
through the form, and saves one PNG of the visible part of each page in :data:`PAGES`.
A page that answers 404 is not built yet: it is skipped (and an older image of it left
alone), so the script works while pages are still being added. Any other status, or a
console error on a page, stops the script with the reason.

Needs ``/usr/bin/chromium`` (``make chromium``) and the dev dependencies (``make install``)::

    .venv/bin/python scripts/screenshots.py [--out DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the tests' helpers: the real server, wheels, the browser

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

from tests.browser.conftest import (  # noqa: E402
    ADMIN,
    ADMIN_PASSWORD,
    CHROMIUM,
    VIEWPORT,
    Watch,
    launch_chromium,
    publish,
    set_password,
    sign_in,
)
from tests.support import rest  # noqa: E402
from tests.support.dists import build_wheel  # noqa: E402
from tests.support.server import LiveServer, live_server  # noqa: E402

#: The address the pages show in URLs and snippets, instead of the loopback port's.
BASE_URL = "https://pypi.acme.example"
FEED = "/acme/_artifacts/feed/libs"
PACKAGE = FEED + "/package/shiny-widgets"
#: (image name, path, element scrolled to the top or ""), in the order they are taken;
#: signed in for all but the first.
PAGES = [
    ("web-signin", "/_auth/signin", ""),
    ("web-home", "/", ""),
    ("web-organization", "/acme", ""),
    ("web-feed", FEED, ""),
    ("web-package", PACKAGE, ""),
    ("web-package-readme", PACKAGE, "#about"),
    ("web-connect", FEED + "/connect", ""),
    ("web-feed-settings", FEED + "/settings", ""),
    ("web-tokens", "/_account/tokens", ""),
    ("web-users", "/_admin/users", ""),
]

SHINY_README = """\
Description-Content-Type: text/markdown
Project-URL: Homepage, https://example.org/shiny-widgets
Project-URL: Changelog, https://example.org/shiny-widgets/changes
License-Expression: MIT
Author: ACME Platform Team
Classifier: Programming Language :: Python :: 3
Classifier: Typing :: Typed

# shiny-widgets

Widgets for ACME's internal dashboards: gauges, sparklines and status lights that
render the same in the browser and in a terminal.

## Install

```
pip install shiny-widgets
```

## Use

```python
from shiny_widgets import Gauge

print(Gauge(0.72, label="disk"))
```

| widget | browser | terminal |
|---|---|---|
| Gauge | yes | yes |
| Sparkline | yes | yes |
| StatusLight | yes | no |
"""

#: (feed, name, versions, summary, dependencies)
DEMO: list[tuple[str, str, list[str], str, list[str]]] = [
    ("acme/libs", "shiny-widgets", ["1.0.0", "1.1.0", "1.2.0"], "Dashboard widgets", []),
    ("acme/libs", "acme-client", ["0.9.1"], "Client of ACME's internal APIs", ["fastcache>=2"]),
    ("acme/libs", "fastcache", ["2.3.0", "2.4.0"], "An in-process LRU cache with TTLs", []),
    ("acme/libs", "tinyutils", ["0.1.0"], "Small helpers shared by ACME's services", []),
    ("acme/tools", "deploy-cli", ["3.0.0"], "Deploys ACME's services", ["acme-client>=0.9"]),
    ("acme/web/releases", "web-shell", ["1.0.0"], "The shell of ACME's web apps", []),
]


def fill_demo(server: LiveServer, dists: Path) -> None:
    """Two users, the organization ``acme``, its feeds and their packages, made as the
    administrator."""
    feeds = [
        ("acme/libs", "private", "Libraries shared by ACME's services"),
        ("acme/tools", "public", "Command-line tools for everyone"),
        ("acme/web/releases", "private", "Released builds of the web apps"),
    ]
    with server.client() as client:
        for username in ("maria", "ci-publisher"):
            rest.create_user(client, username)
        for ref, visibility, description in feeds:
            rest.create_feed(client, ref, visibility=visibility)
            response = client.patch(rest.feed_url(ref), json={"description": description})
            assert response.status_code == 200, response.text
    for feed, name, versions, summary, requires in DEMO:
        extra = SHINY_README if name == "shiny-widgets" else _readme(name, summary)
        for version in versions:
            wheel = build_wheel(
                dists,
                name,
                version,
                summary=summary,
                requires_dist=requires,
                requires_python=">=3.11",
                extra_metadata=extra,
            )
            publish(server, feed, wheel)


def _readme(name: str, summary: str) -> str:
    return (
        "Description-Content-Type: text/markdown\n\n"
        f"# {name}\n\n{summary}.\n\n```\npip install {name}\n```\n"
    )


def shoot(page: Page, watch: Watch, path: str, scroll_to: str, target: Path) -> bool:
    """Save ``path`` as ``target``, scrolled so that ``scroll_to`` (a CSS selector, if any)
    is at the top; False when the page answers 404 (not built yet)."""
    response = page.goto(path)
    assert response is not None, path
    if response.status == 404:
        return False
    if response.status != 200:
        raise SystemExit(f"{path} answered {response.status}: {page.inner_text('main')}")
    page.wait_for_load_state("load")
    if watch.unexpected():
        raise SystemExit(f"{path}: " + "; ".join(watch.unexpected()))
    if scroll_to:
        page.locator(scroll_to).evaluate("element => element.scrollIntoView()")
    page.screenshot(path=str(target))
    return True


def take(browser: Browser, server: LiveServer, out: Path) -> None:
    """Every page of PAGES into ``out``, saying which were saved and which skipped."""
    context = browser.new_context(base_url=server.url, viewport=VIEWPORT)
    watch = Watch()
    # A missing page (404) is logged by Chromium as a failed load: that one is expected.
    watch.expect(r"status of 404")
    page = context.new_page()
    watch.attach(page)
    out.mkdir(parents=True, exist_ok=True)
    for number, (name, path, scroll_to) in enumerate(PAGES):
        if number == 1:
            sign_in(page, ADMIN, ADMIN_PASSWORD)
        target = out / f"{name}.png"
        saved = shoot(page, watch, path, scroll_to, target)
        print(f"{'saved  ' if saved else 'skipped (404)'} {path} -> {target}")
    context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing: `make chromium` installs it")
    with tempfile.TemporaryDirectory(prefix="quiver-screenshots-") as scratch:
        scratch_dir = Path(scratch)
        settings = {"QUIVER_BASE_URL": BASE_URL}
        with (
            live_server(scratch_dir / "data", env=settings) as server,
            sync_playwright() as playwright,
        ):
            set_password(server, ADMIN, ADMIN_PASSWORD)
            fill_demo(server, scratch_dir / "dists")
            browser = launch_chromium(playwright.chromium)
            try:
                take(browser, server, args.out.resolve())
            finally:
                browser.close()


if __name__ == "__main__":
    main()
