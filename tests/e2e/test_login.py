"""``quiver login``: the real command against a real server, approved as a browser would.

A thread reads the CLI's stderr until the code shows; the test then fetches the
approval page and posts the form back (cookie, hidden token, Origin), like a
browser. The server polls at 1 s so the module stays quick.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.support.cli import QUIVER, refused, run_quiver, without_quiver_settings
from tests.support.rest import create_feed, create_user, set_role
from tests.support.server import LiveServer, live_server

pytestmark = pytest.mark.e2e

PASSWORD = "a long enough password"
CODE = re.compile(r"\b([BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4})\b")
NULL_KEYRING = "keyring.backends.null.Keyring"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("login") / "data"
    with live_server(data, env={"QUIVER_DEVICE_POLL_SECONDS": "1"}) as running:
        with running.client() as admin:
            create_feed(admin, "acme/libs")
            create_user(admin, "alice")
            set_role(admin, "acme/libs", "alice", "reader")
        yield running


def cli_env(config: Path, **extra: str) -> dict[str, str]:
    """No QUIVER_* variables, a private config directory, and file storage for tokens.

    On this machine no real keyring works, so the store writes the file by
    itself; where one does (a developer's laptop), the null keyring keeps the
    test away from it.
    """
    env = without_quiver_settings()
    env.update(XDG_CONFIG_HOME=str(config), NO_COLOR="1", **extra)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    probe = "from quiver_keyring import store; print(store.real_keyring())"
    found = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    if found.stdout.strip() != "None":
        env["PYTHON_KEYRING_BACKEND"] = NULL_KEYRING
    return env


@dataclass
class Login:
    """A running ``quiver login``; a thread collects its stderr and spots the code."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    code: str | None = None
    seen: threading.Event = field(default_factory=threading.Event)
    reader: threading.Thread | None = None

    def read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)
            found = CODE.search(line)
            if found and self.code is None:
                self.code = found.group(1)
            if self.code and "(or open" in line:
                self.seen.set()
        self.seen.set()

    def wait_for_code(self) -> str:
        assert self.seen.wait(30), self.lines
        assert self.code is not None, self.lines
        return self.code

    def finish(self) -> tuple[int, str]:
        code = self.process.wait(timeout=60)
        return code, "".join(self.lines)


@pytest.fixture
def start_login() -> Iterator[list[Login]]:
    started: list[Login] = []
    yield started
    for login in started:
        if login.process.poll() is None:
            login.process.kill()
        login.process.wait()
        # the reader ends at EOF once the process is gone; then the pipes can be closed
        # (left open, the garbage collector reports them: filterwarnings = error)
        if login.reader is not None:
            login.reader.join(timeout=10)
        for pipe in (login.process.stdout, login.process.stderr):
            if pipe is not None:
                pipe.close()


def begin(started: list[Login], env: dict[str, str], *args: str) -> Login:
    process = subprocess.Popen(
        [str(QUIVER), "login", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    login = Login(process)
    login.reader = threading.Thread(target=login.read, daemon=True)
    login.reader.start()
    started.append(login)
    return login


def decide(server: LiveServer, code: str, action: str = "approve") -> httpx.Response:
    """What a browser does: open the page from the terminal, fill it in, press a button."""
    with httpx.Client(base_url=server.url, timeout=30) as browser:
        page = browser.get("/_auth/device", params={"code": code})
        assert page.status_code == 200, page.text
        found = re.search(r'name="form_token" value="([^"]+)"', page.text)
        assert found, page.text
        fields = {"code": code, "username": "alice", "password": PASSWORD, "action": action}
        fields["form_token"] = found.group(1)
        return browser.post("/_auth/device", data=fields, headers={"Origin": server.url})


def test_login_in_a_browser(server: LiveServer, tmp_path: Path, start_login: list[Login]) -> None:
    admin = cli_env(tmp_path / "admin", QUIVER_SERVER=server.url, QUIVER_TOKEN=server.admin_token)
    set_password = run_quiver(
        ["user", "set-password", "alice", "--password-stdin"], admin, stdin=PASSWORD
    )
    assert set_password.code == 0, set_password
    assert "Password set for alice." in set_password.err

    config = tmp_path / "config"
    env = cli_env(config)
    login = begin(start_login, env, server.url, "--scope", "read", "--expires-in-days", "3")
    code = login.wait_for_code()
    approved = decide(server, code)
    assert "You can return to your terminal." in approved.text
    exit_code, err = login.finish()
    assert exit_code == 0, err
    stored = config / "quiver" / "credentials.json"
    assert f"Open {server.url}/_auth/device and enter the code {code}" in err
    assert f"{server.url}/_auth/device?code={code}" in err
    assert f"Logged in to {server.url} as alice (token kept in file {stored})." in err
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stat.S_IMODE(stored.parent.stat().st_mode) == 0o700
    entry = json.loads(stored.read_text())["servers"][server.url]
    token = entry["token"]
    assert (entry["username"], entry["storage"]) == ("alice", "file")
    assert token not in err
    with server.client(token) as alice:
        assert alice.get("/_apis/users/me").json()["scope"] == "packaging:read"

    # No QUIVER_SERVER, no QUIVER_TOKEN: the saved default server and token.
    listed = run_quiver(["feed", "list", "acme", "--json"], env)
    assert listed.code == 0, listed
    assert [feed["ref"] for feed in listed.json()] == ["acme/libs"]

    logout = run_quiver(["logout", "--revoke"], env)
    assert logout.code == 0, logout
    assert f"Logged out of {server.url}; the token is revoked." in logout.err
    assert not stored.exists()
    with server.client(token) as alice:
        assert alice.get("/_apis/users/me").status_code == 401
    assert token not in server.log()
    assert PASSWORD not in server.log()


def test_denied_and_interrupted(
    server: LiveServer, tmp_path: Path, start_login: list[Login]
) -> None:
    admin = cli_env(tmp_path / "admin", QUIVER_SERVER=server.url, QUIVER_TOKEN=server.admin_token)
    done = run_quiver(["user", "set-password", "alice", "--password-stdin"], admin, PASSWORD)
    assert done.code == 0, done
    env = cli_env(tmp_path / "config")
    denied = begin(start_login, env, server.url, "--no-browser")
    interrupted = begin(start_login, env, server.url, "--no-browser")
    assert "Denied" in decide(server, denied.wait_for_code(), "deny").text
    interrupted.wait_for_code()
    interrupted.process.send_signal(signal.SIGINT)

    exit_code, err = denied.finish()
    assert exit_code == 1, err
    assert err.strip().splitlines()[-1] == "error: The login was denied in the browser."
    exit_code, err = interrupted.finish()
    assert exit_code == 130, err
    assert "Login aborted." in err
    assert not (tmp_path / "config" / "quiver" / "credentials.json").exists()
    assert run_quiver(["logout"], env).err.strip() == "Not logged in."


def test_login_then_token_create(
    server: LiveServer, tmp_path: Path, start_login: list[Login]
) -> None:
    """A manage login creates tokens that end with it; a write login (the default) cannot."""
    admin = cli_env(tmp_path / "admin", QUIVER_SERVER=server.url, QUIVER_TOKEN=server.admin_token)
    done = run_quiver(["user", "set-password", "alice", "--password-stdin"], admin, PASSWORD)
    assert done.code == 0, done

    manage = cli_env(tmp_path / "manage")
    login = begin(
        start_login,
        manage,
        server.url,
        "--no-browser",
        "--scope",
        "manage",
        "--expires-in-days",
        "3",
    )
    decide(server, login.wait_for_code())
    assert login.finish()[0] == 0
    created = run_quiver(["token", "create", "--name", "ci", "--scope", "write"], manage)
    assert created.code == 0, created
    assert created.out.strip().startswith("qvr_")
    assert "with the token that created it" in created.err
    with server.client(created.out.strip()) as ci:
        assert ci.get("/_apis/users/me").json()["scope"] == "packaging:write"
    listed = run_quiver(["token", "list", "--json"], manage)
    assert listed.code == 0, listed
    expiry = {t["name"]: t["expires_at"] for t in listed.json()}
    assert expiry["ci"] == expiry[f"quiver login: quiver CLI on {socket.gethostname()}"[:100]]

    write = cli_env(tmp_path / "write")
    login = begin(start_login, write, server.url, "--no-browser")
    decide(server, login.wait_for_code())
    assert login.finish()[0] == 0
    refused(run_quiver(["token", "create", "--name", "ci"], write), 1, "packaging:manage")
    logout = run_quiver(["logout", "--revoke"], write)  # a token may always revoke itself
    assert logout.code == 0, logout
    assert "the token is revoked" in logout.err
