"""Server time of the web pages on a feed of 500 packages x 10 versions (issue 13: under
50 ms a page).

Run with ``make bench`` (after ``bench.py``) or ``.venv/bin/python bench/pages.py``.
Starts a real server on a free loopback port, publishes the corpus through the upload API
(about 5,000 small wheels, a few minutes), signs in through the sign-in form, then asks
each page ``ROUNDS`` times one after another and prints the median and 95th percentile
of the time to the last byte (on loopback that is the server's time). Exits non-zero when
a page's median misses the target.
"""

from __future__ import annotations

import re
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support import rest
from tests.support.dists import build_wheel
from tests.support.server import LiveServer, live_server

PACKAGES, VERSIONS, OTHER_FEEDS = 500, 10, 30
ROUNDS = 60
TARGET_MS = 50.0
PASSWORD = "bench password 1"  # noqa: S105 - a throwaway server's admin
README = "Description-Content-Type: text/markdown\n\n# A package\n\n" + "Some *text*.\n\n" * 40


def publish_corpus(server: LiveServer, wheels: Path) -> None:
    """500 packages x 10 versions into acme/libs, 8 uploads at a time."""

    def upload(number: int) -> None:
        name = f"pkg{number:04d}"
        with server.client() as client:
            for minor in range(VERSIONS):
                wheel = build_wheel(wheels, name, f"1.{minor}", extra_metadata=README)
                with wheel.open("rb") as handle:
                    client.post(
                        "/acme/_packaging/libs/pypi/upload/",
                        data={":action": "file_upload"},
                        files={"content": (wheel.name, handle)},
                        timeout=120,
                    ).raise_for_status()
                wheel.unlink()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(upload, range(PACKAGES)))


def signed_in(server: LiveServer) -> httpx.Client:
    """A client holding the admin's web session (through the real sign-in form)."""
    with server.client() as admin:
        admin.put("/_apis/users/admin/password", json={"password": PASSWORD}).raise_for_status()
    browser = httpx.Client(base_url=server.url, follow_redirects=False, timeout=120)
    form = browser.get("/_auth/signin")
    token = re.search(r'name="form_token" value="([^"]+)"', form.text)
    assert token is not None
    fields = {"form_token": token.group(1), "username": "admin", "password": PASSWORD}
    answer = browser.post("/_auth/signin", data=fields)
    assert answer.status_code == 303, answer.text
    return browser


def measure(browser: httpx.Client, path: str) -> tuple[float, float]:
    """(median, p95) milliseconds of ``ROUNDS`` sequential requests for ``path``."""
    browser.get(path).raise_for_status()  # warm: caches and the first template compile
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        browser.get(path).raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main(argv: list[str]) -> int:
    """``bench/pages.py [DATA_DIR]``: with a data directory that already holds the corpus
    (from an earlier run given the same directory), publishing is skipped."""
    pages = {
        "home (31 feeds)": "/",
        "feed page 1": "/acme/_artifacts/feed/libs",
        "feed page 6": "/acme/_artifacts/feed/libs?page=6",
        "feed search": "/acme/_artifacts/feed/libs?q=pkg04",
        "feed filtered by view": "/acme/_artifacts/feed/libs?view=Release",
        "package page": "/acme/_artifacts/feed/libs/package/pkg0250",
        "package version page": "/acme/_artifacts/feed/libs/package/pkg0250/v/1.3",
        "connect page": "/acme/_artifacts/feed/libs/connect?tool=uv",
        "feed settings": "/acme/_artifacts/feed/libs/settings",
        "tokens": "/_account/tokens",
    }
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = Path(argv[0]) if argv else root / "data"
        filled = (data / "corpus-published").exists()
        with live_server(data) as server:
            if not filled:
                with server.client() as admin:
                    rest.create_feed(admin, "acme/libs")
                    for number in range(OTHER_FEEDS):
                        rest.create_feed(admin, f"acme/other{number:02d}")
                started = time.perf_counter()
                publish_corpus(server, root)
                took = time.perf_counter() - started
                print(f"published {PACKAGES * VERSIONS} files in {took:.0f} s", flush=True)
                (data / "corpus-published").touch()
            browser = signed_in(server)
            try:
                for label, path in pages.items():
                    if browser.get(path).status_code == 404:
                        continue  # a page this version does not have
                    results.append((label, *measure(browser, path)))
                    print(f"{label}: {results[-1][1]:.1f} ms", flush=True)
            finally:
                browser.close()
    width = max(len(row[0]) for row in results)
    heading = f"{'page':<{width}}  {'median ms':>9}  {'p95 ms':>7}"
    print(f"{heading}  target: median < {TARGET_MS:.0f} ms")
    for label, median, p95 in results:
        flag = "" if median < TARGET_MS else "  MISSED"
        print(f"{label:<{width}}  {median:>9.1f}  {p95:>7.1f}{flag}")
    return 0 if all(median < TARGET_MS for _, median, _ in results) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
