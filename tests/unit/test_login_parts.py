"""Device login pieces with no server: user codes, form guards, the limiter, CLI polling.

The CLI's polling is checked against a scripted peer (an httpx transport that answers
the RFC 8628 sequence), which is the only way to see exactly how long it waits.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from starlette.requests import Request

from quiver.api.limits import SlidingWindow, client_address
from quiver.api.ui.security import FormGuard, load_form_key, same_origin
from quiver.cli import login_flow as devicelogin
from quiver.cli.client import Client, ClientError
from quiver.domain.devicecodes import display_user_code, new_user_code, normalize_user_code


def test_user_codes() -> None:
    code = new_user_code()
    assert len(code) == 8
    assert set(code) <= set("BCDFGHJKLMNPQRSTVWXZ")
    shown = display_user_code(code)
    assert shown == f"{code[:4]}-{code[4:]}"
    assert normalize_user_code(shown.lower()) == code
    assert normalize_user_code(f" {code[:4]} {code[4:]} ") == code
    for bad in ("", "BCDF-GHJ", "BCDF-GHJKL", "ABCD-EFGH", "BCDF-GHJ1"):
        assert normalize_user_code(bad) is None


def test_form_guard() -> None:
    now = [1_000_000.0]
    guard = FormGuard(b"k" * 32, max_age=60, clock=lambda: now[0])
    nonce, token = guard.issue()
    assert guard.check(nonce, token)
    assert not guard.check("another nonce", token)
    assert not guard.check(nonce, None)
    assert not guard.check(None, token)
    assert not guard.check(nonce, "x." + token.partition(".")[2])
    assert not FormGuard(b"o" * 32, clock=lambda: now[0]).check(nonce, token)  # another key
    now[0] += 61
    assert not guard.check(nonce, token)


def test_form_key_is_made_once(tmp_path: Path) -> None:
    key = load_form_key(tmp_path / "data")
    assert len(key) == 32
    assert load_form_key(tmp_path / "data") == key
    assert (tmp_path / "data" / "form-key").stat().st_mode & 0o777 == 0o600
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["form-key"]


def request_with(**headers: str) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in {"host": "q.example", **headers}.items()]
    return Request({"type": "http", "method": "POST", "path": "/", "headers": raw})


def test_same_origin() -> None:
    assert same_origin(request_with(), None)
    assert same_origin(request_with(origin="http://q.example"), None)
    assert same_origin(request_with(referer="https://q.example/_auth/device?code=x"), None)
    assert not same_origin(request_with(origin="https://evil.example"), None)
    assert not same_origin(request_with(origin="null"), None)
    behind_proxy = request_with(host="127.0.0.1:8080", origin="https://feeds.example")
    assert not same_origin(behind_proxy, None)
    assert same_origin(behind_proxy, "https://feeds.example/")


def test_sliding_window() -> None:
    now = [0.0]
    limiter = SlidingWindow(limit=3, window=60, max_keys=2, clock=lambda: now[0])
    key = ("alice", "10.0.0.1")
    for second in range(3):
        now[0] = second * 10.0
        assert limiter.wait(key) == 0
        limiter.record(key)
    assert limiter.wait(key) == 40  # at 20 s: the first event leaves at 60 s
    assert limiter.take(key) == 40  # refused, and not counted
    assert limiter.wait(("alice", "10.0.0.2")) == 0
    now[0] = 61
    assert limiter.wait(key) == 0
    assert limiter.take(key) == 0
    assert limiter.wait(key) == 9  # the second event (10 s) leaves at 70 s
    limiter.reset(key)
    assert limiter.wait(key) == 0
    for user in ("a", "b", "c"):  # at most two keys are remembered
        limiter.record((user, "ip"))
    assert len(limiter._events) == 2


def test_client_address_keys() -> None:
    def address(host: str) -> str:
        scope = {"type": "http", "headers": [], "client": (host, 1)}
        return client_address(Request(scope))

    assert address("10.1.2.3") == "10.1.2.3"
    assert address("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert address("2001:db8:1:2:ffff::1") == "2001:db8:1:2::/64"  # one host, one /64
    assert address("::ffff:10.1.2.3") == "10.1.2.3"
    assert address("testclient") == "testclient"


def scripted(answers: list[tuple[int, dict[str, object]]]) -> tuple[Client, list[bytes]]:
    """A client whose peer gives ``answers`` in turn; the request bodies it saw."""
    seen: list[bytes] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.content)
        status, body = answers.pop(0)
        return httpx.Response(status, json=body)

    return Client("http://q.example", transport=httpx.MockTransport(answer)), seen


STARTED = devicelogin.Started("dc", "BCDF-GHJK", "http://q/_auth/device", "http://q/x", 600, 5)


def pending(error: str) -> tuple[int, dict[str, object]]:
    return 400, {"error": error, "message": f"{error} message"}


def test_polling_waits_and_slows_down() -> None:
    client, seen = scripted(
        [
            pending("authorization_pending"),
            pending("slow_down"),
            pending("authorization_pending"),
            (200, {"access_token": "qvr_x", "token_type": "Bearer"}),
        ]
    )
    waits: list[float] = []
    answer = devicelogin.wait_for_token(client, STARTED, sleep=waits.append)
    assert answer["access_token"] == "qvr_x"
    assert waits == [5, 5, 10, 10]
    assert json.loads(seen[0]) == {
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
        "device_code": "dc",
    }


@pytest.mark.parametrize(
    ("error", "message"),
    [
        ("access_denied", "denied in the browser"),
        ("expired_token", "expired before it was approved"),
        ("invalid_grant", "invalid_grant message"),
    ],
)
def test_polling_stops_on_refusal(error: str, message: str) -> None:
    client, _ = scripted([pending(error)])
    with pytest.raises(ClientError, match=message) as caught:
        devicelogin.wait_for_token(client, STARTED, sleep=lambda _: None)
    assert caught.value.exit_code == 1


def test_incomplete_answers() -> None:
    client, _ = scripted([(200, {"device_code": "dc"})])
    with pytest.raises(ClientError, match="incomplete"):
        devicelogin.start(client, scope="packaging:write", expires_in_days=90, client_name="t")
    client, _ = scripted([(200, {"token_type": "Bearer"})])
    with pytest.raises(ClientError, match="no token"):
        devicelogin.wait_for_token(client, STARTED, sleep=lambda _: None)
