"""What the fuzzers share: how many examples, hostile values, the app on a thread, the verdict.

Both fuzzers (``test_fuzz_rest.py``, ``test_fuzz_upload.py``) drive a real app in-process
through ``AppClient``: the app's lifespan and every request run on one event loop in a
thread of their own (an anyio portal), so Hypothesis can run its synchronous examples and
shrink a failure to the smallest request that shows it.

``QUIVER_FUZZ_EXAMPLES`` sets how many examples each fuzzer draws per operation (REST) or
in all (upload, times ``UPLOAD_FACTOR``); the defaults keep both modules around a minute
per database. To run long::

    QUIVER_FUZZ_EXAMPLES=500 .venv/bin/pytest -m fuzz -p no:randomly
"""

from __future__ import annotations

import functools
import os
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import anyio.from_thread
import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from quiver.api.app import create_app
from quiver.domain.continuation import LOGS, Position
from quiver.settings import Settings
from tests.conftest import ADMIN_TOKEN

#: Examples per REST operation when ``QUIVER_FUZZ_EXAMPLES`` is not set.
DEFAULT_EXAMPLES = 6
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

# Text that has hurt servers: NUL, lone surrogates (only JSON can carry them), numbers
# past 64 bits, path tricks, percent signs, bidi controls, long and non-ASCII text.
HOSTILE_TEXT = [
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfff",
    "9" * 30,
    str(2**63),
    "-1",
    "0",
    "..",
    "../etc",
    "%",
    "%00",
    "a/b",
    "@",
    "libs@",
    "@local",
    "\u202e",
    "é",
    "😀",
    " ",
    "",
    "a" * 300,
    "é" * 200,
    # continuation tokens of the first feeds, past the 64-bit integers the database holds
    *(Position(log, feed, 2**63).token() for log in LOGS for feed in (1, 2, 3)),
    Position("changes", 2**64, 1).token(),
]
HOSTILE_NUMBERS = [2**63, 2**63 - 1, -(2**63) - 1, 10**30, -1, 0, 2**31]


def fuzz_examples(default: int = DEFAULT_EXAMPLES) -> int:
    """Examples to draw: ``QUIVER_FUZZ_EXAMPLES`` if set, else ``default``."""
    text = os.environ.get("QUIVER_FUZZ_EXAMPLES", "")
    return int(text) if text.strip() else default


def fuzz_settings(examples: int) -> settings:
    """Hypothesis settings for a fuzz run (the loaded profile, e.g. CI's, decides the rest)."""
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )


def hostile_text() -> st.SearchStrategy[str]:
    """A hostile value, or one wrapped in ordinary text."""
    value = st.sampled_from(HOSTILE_TEXT)
    return st.one_of(value, st.builds(lambda v, w: f"w{v}{w}", value, st.text(max_size=5)))


def unencodable_in_urls(text: str) -> bool:
    """Lone surrogates cannot travel in a URL (no UTF-8 for them): only JSON can send them."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def refuse_the_network(request: httpx.Request) -> httpx.Response:
    """Transport for the app's upstream client: a fuzzer never reaches beyond the process."""
    raise httpx.ConnectError("the fuzzers allow no network", request=request)


_T = TypeVar("_T")


class AppClient:
    """Blocking requests to an app running on the event loop of ``portal``."""

    def __init__(
        self, app: FastAPI, portal: anyio.from_thread.BlockingPortal, client: httpx.AsyncClient
    ) -> None:
        self.app = app
        self.portal = portal
        self.client = client

    def call(self, function: Callable[..., Awaitable[_T]], *args: Any) -> _T:
        """``await function(*args)`` on the app's loop."""
        return self.portal.call(function, *args)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self.call(functools.partial(self.client.request, method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)


@contextmanager
def running_app(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppClient]:
    """A client (no credentials) on a started app; its upstream fetches always fail.

    A 500 comes back as a response, never as an exception in the test.
    """
    monkeypatch.setattr(
        "quiver.api.app.upstream_http_client",
        lambda _settings: httpx.AsyncClient(transport=httpx.MockTransport(refuse_the_network)),
    )
    app = create_app(settings)
    lifespan = app.router.lifespan_context(app)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    with anyio.from_thread.start_blocking_portal() as portal:
        portal.call(lifespan.__aenter__)
        client = httpx.AsyncClient(transport=transport, base_url="http://quiver.test")
        try:
            yield AppClient(app, portal, client)
        finally:
            portal.call(client.aclose)
            portal.call(lifespan.__aexit__, None, None, None)


def verdict(response: httpx.Response, what: str) -> None:
    """Never a 5xx; every 4xx is JSON with a one-line ``message``."""
    assert response.status_code < 500, f"{what} -> {response.status_code} {response.text}"
    if response.status_code < 400:
        return
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"{what} -> {response.status_code}: {response.text}") from None
    assert isinstance(body, dict), f"{what} -> {body!r}"
    message = body.get("message")
    assert isinstance(message, str), f"{what} -> no message: {body!r}"
    assert message and "\n" not in message, f"{what} -> {message!r}"
