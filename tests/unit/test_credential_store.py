"""quiver_keyring.store: the credential store shared by ``quiver login`` and the keyring backend.

The system keyring is a real (tiny, in-memory) keyring backend set with
``keyring.set_keyring``; "no keyring" is keyring's own null backend.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null
from keyring.errors import PasswordDeleteError, PasswordSetError

from quiver_keyring import store, system

FEED = "/acme/_packaging/libs/pypi/simple/"


class MemoryKeyring(KeyringBackend):
    """A working keyring that keeps passwords in a dict."""

    priority = 5

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # keyring's is untyped
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError("not there")


class LockedKeyring(MemoryKeyring):
    """A keyring that is there but refuses to store (say, a locked collection)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise PasswordSetError("locked")


class ImpostorOfOurs(MemoryKeyring):
    """Looks like quiver_keyring's own backend, which must never hold tokens."""

    priority = 9


ImpostorOfOurs.__module__ = "quiver_keyring.backend"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private config directory, no QUIVER_* variables, and keyring restored afterwards."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("QUIVER_TOKEN", raising=False)
    monkeypatch.delenv("QUIVER_SERVER", raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(null_keyring())
    yield tmp_path / "config" / "quiver"
    keyring.set_keyring(previous)


@pytest.fixture
def memory() -> MemoryKeyring:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    return backend


def null_keyring() -> KeyringBackend:
    return null.Keyring()  # type: ignore[no-untyped-call]  # keyring's is untyped


def fail_keyring() -> KeyringBackend:
    return fail.Keyring()  # type: ignore[no-untyped-call]


def stored_json(config: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((config / "credentials.json").read_text())
    return data


# --- normalization ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "key"),
    [
        ("HTTPS://Feeds.Example:443/", "https://feeds.example"),
        ("http://feeds.example:80", "http://feeds.example"),
        ("http://Feeds.Example:8080/Quiver/", "http://feeds.example:8080/Quiver"),
        ("https://alice:secret@feeds.example/q?x=1#top", "https://feeds.example/q"),
        ("  https://feeds.example//  ", "https://feeds.example"),
        ("http://[::1]:8080/", "http://[::1]:8080"),
        ("https://[::1]:443", "https://[::1]"),
    ],
)
def test_normalize_server(given: str, key: str) -> None:
    assert store.normalize_server(given) == key


@pytest.mark.parametrize(
    "given", ["ftp://feeds.example", "feeds.example", "http://", "http://host:port", ""]
)
def test_normalize_server_refuses(given: str) -> None:
    with pytest.raises(ValueError, match="Invalid server address") as caught:
        store.normalize_server(given)
    assert "port" not in given or "number" in str(caught.value)


def test_normalize_never_repeats_credentials() -> None:
    with pytest.raises(ValueError, match="Invalid server address") as caught:
        store.normalize_server("ftp://alice:hunter2@feeds.example")
    assert "hunter2" not in str(caught.value)


# --- the file --------------------------------------------------------------------------------


def test_file_storage_when_no_keyring(isolated: Path) -> None:
    assert store.real_keyring() is None
    assert store.save("HTTP://127.0.0.1:8080/", "qvr_one", "alice") == "file"
    assert stored_json(isolated) == {
        "version": 1,
        "default": "http://127.0.0.1:8080",
        "servers": {
            "http://127.0.0.1:8080": {"username": "alice", "storage": "file", "token": "qvr_one"}
        },
    }
    assert stat.S_IMODE(isolated.stat().st_mode) == 0o700
    assert stat.S_IMODE((isolated / "credentials.json").stat().st_mode) == 0o600
    assert os.listdir(isolated) == ["credentials.json"]  # no temporary file left behind
    assert store.load() == store.Credential("http://127.0.0.1:8080", "qvr_one", "alice")
    assert store.load("http://127.0.0.1:8080/") == store.load()


def test_modes_are_tightened(isolated: Path) -> None:
    isolated.mkdir(parents=True)
    os.chmod(isolated, 0o755)  # noqa: S103 (a directory someone else made too open)
    store.save("https://a.example", "qvr_a")
    assert stat.S_IMODE(isolated.stat().st_mode) == 0o700
    assert stat.S_IMODE((isolated / "credentials.json").stat().st_mode) == 0o600


def test_several_servers_and_the_default(isolated: Path) -> None:
    store.save("https://a.example", "qvr_a")
    store.save("https://b.example/quiver", "qvr_b", "bob")
    assert store.servers() == ["https://a.example", "https://b.example/quiver"]
    assert store.load() == store.Credential("https://b.example/quiver", "qvr_b", "bob")
    assert store.load("https://a.example/") == store.Credential("https://a.example", "qvr_a")
    assert store.load("https://c.example") is None
    assert store.load("not a url") is None

    assert store.remove() is True  # the default, b
    assert store.servers() == ["https://a.example"]
    assert store.load() == store.Credential("https://a.example", "qvr_a")
    assert store.remove("https://c.example") is False
    assert store.remove("https://A.example:443") is True
    assert not (isolated / "credentials.json").exists()
    assert store.remove() is False
    assert store.load() is None


def test_saving_again_replaces(isolated: Path) -> None:
    store.save("https://a.example", "qvr_old", "alice")
    store.save("https://a.example/", "qvr_new", "alice")
    assert store.servers() == ["https://a.example"]
    assert store.load() == store.Credential("https://a.example", "qvr_new", "alice")


def test_unreadable_or_first_shape_files(isolated: Path) -> None:
    isolated.mkdir(parents=True)
    path = isolated / "credentials.json"
    path.write_text("{not json")
    assert store.load() is None
    assert store.servers() == []
    store.save("https://a.example", "qvr_a")  # replaces the broken file
    assert store.load() == store.Credential("https://a.example", "qvr_a")

    path.write_text(json.dumps({"server": "http://127.0.0.1:8080/", "token": "qvr_first"}))
    assert store.load() == store.Credential("http://127.0.0.1:8080", "qvr_first")
    path.write_text(json.dumps({"version": 1, "default": ["x"], "servers": []}))
    assert store.load() is None


def test_empty_token_or_bad_server_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        store.save("https://a.example", "")
    with pytest.raises(ValueError, match="Invalid server"):
        store.save("a.example", "qvr_a")
    assert store.servers() == []


# --- the system keyring ----------------------------------------------------------------------


def test_keyring_storage(isolated: Path, memory: MemoryKeyring) -> None:
    assert store.real_keyring() is memory
    assert store.save("https://a.example/", "qvr_secret", "alice") == "keyring"
    assert memory.entries == {("quiver:https://a.example", "token"): "qvr_secret"}
    assert "qvr_secret" not in (isolated / "credentials.json").read_text()
    assert stored_json(isolated)["servers"] == {
        "https://a.example": {"username": "alice", "storage": "keyring"}
    }
    assert store.load() == store.Credential("https://a.example", "qvr_secret", "alice")

    assert store.remove("https://a.example") is True
    assert memory.entries == {}


def test_token_missing_from_keyring(memory: MemoryKeyring) -> None:
    store.save("https://a.example", "qvr_secret")
    memory.entries.clear()
    assert store.load() is None
    assert store.credential_for("https://a.example" + FEED) is None


def test_a_keyring_that_refuses_falls_back_to_the_file(isolated: Path) -> None:
    keyring.set_keyring(LockedKeyring())
    assert store.save("https://a.example", "qvr_secret") == "file"
    assert store.load() == store.Credential("https://a.example", "qvr_secret")


def test_moving_from_keyring_to_file_forgets_the_keyring_entry(memory: MemoryKeyring) -> None:
    store.save("https://a.example", "qvr_kept")
    locked = LockedKeyring()
    locked.entries = memory.entries  # the same keyring, now refusing new entries
    keyring.set_keyring(locked)
    assert store.save("https://a.example", "qvr_new") == "file"
    assert memory.entries == {}
    assert store.load() == store.Credential("https://a.example", "qvr_new")


def test_real_keyring_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    ours, real = ImpostorOfOurs(), MemoryKeyring()
    keyring.set_keyring(null_keyring())
    assert store.real_keyring() is None  # null configured means "no keyring"
    keyring.set_keyring(ours)
    monkeypatch.setattr(system, "get_all_keyring", lambda: [fail_keyring(), ours, real])
    assert store.real_keyring() is real  # ours is skipped, the next one answers
    keyring.set_keyring(fail_keyring())
    assert store.real_keyring() is real
    monkeypatch.setattr(system, "get_all_keyring", lambda: [fail_keyring(), ours])
    assert store.real_keyring() is None


# --- answering for a URL ---------------------------------------------------------------------


def test_longest_prefix_answers(isolated: Path) -> None:
    store.save("https://h.example", "qvr_root", "root")
    store.save("https://h.example/quiver", "qvr_sub", "sub")
    answer = store.credential_for("https://h.example/quiver" + FEED)
    assert answer == store.Credential("https://h.example/quiver", "qvr_sub", "sub")
    assert store.credential_for("https://H.EXAMPLE:443/quiverx" + FEED) == store.Credential(
        "https://h.example", "qvr_root", "root"
    )
    assert store.credential_for("https://h.example/quiver") is not None
    assert store.credential_for("http://h.example" + FEED) is None  # another scheme
    assert store.credential_for("https://h.example:8443" + FEED) is None  # another port
    assert store.credential_for("https://other.example" + FEED) is None
    assert store.credential_for("not a url") is None


def test_credentials_in_the_url_are_ignored(isolated: Path) -> None:
    store.save("https://h.example/quiver", "qvr_sub", "sub")
    answer = store.credential_for("https://me:hunter2@h.example/quiver" + FEED)
    assert answer == store.Credential("https://h.example/quiver", "qvr_sub", "sub")


def test_quiver_token_with_quiver_server(monkeypatch: pytest.MonkeyPatch) -> None:
    store.save("https://stored.example", "qvr_stored", "alice")
    monkeypatch.setenv("QUIVER_TOKEN", "qvr_env")
    monkeypatch.setenv("QUIVER_SERVER", "https://CI.example/")
    assert store.credential_for("https://ci.example" + FEED) == store.Credential(
        "https://ci.example", "qvr_env"
    )
    assert store.credential_for("https://ci.example/anything") is not None
    # Not under QUIVER_SERVER: the stored credential answers, the environment's never.
    assert store.credential_for("https://stored.example" + FEED) == store.Credential(
        "https://stored.example", "qvr_stored", "alice"
    )
    assert store.credential_for("https://elsewhere.example" + FEED) is None


def test_quiver_token_with_stored_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    store.save("https://stored.example", "qvr_stored", "alice")
    monkeypatch.setenv("QUIVER_TOKEN", "qvr_env")
    assert store.credential_for("https://stored.example" + FEED) == store.Credential(
        "https://stored.example", "qvr_env", "alice"
    )
    assert store.credential_for("https://elsewhere.example" + FEED) is None


def test_quiver_token_alone_answers_for_feed_addresses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUIVER_TOKEN", "qvr_env")
    assert store.credential_for("https://any.example:8443" + FEED) == store.Credential(
        "https://any.example:8443", "qvr_env"
    )
    assert store.credential_for("https://any.example/acme/_packaging") is not None
    assert store.credential_for("https://any.example/simple/") is None
    assert store.credential_for("https://pypi.org/simple/requests/") is None
    monkeypatch.setenv("QUIVER_TOKEN", "  ")  # blank means unset
    assert store.credential_for("https://any.example" + FEED) is None
