"""The quiver-keyring backend: what it answers for which service, and what it refuses.

Every test runs with a temporary ``XDG_CONFIG_HOME``, without ``QUIVER_*`` variables and
with no system keyring (``store.real_keyring`` patched), so tokens land in the store file
unless a test hands the store an in-memory keyring on purpose.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import keyring.backend
import pytest
from keyring.backends.chainer import ChainerBackend
from keyring.compat import properties
from keyring.credentials import Credential
from keyring.errors import PasswordDeleteError, PasswordSetError

from quiver_keyring import backend as backend_module
from quiver_keyring import store
from quiver_keyring.backend import QuiverKeyring

SERVER = "http://127.0.0.1:8080"
INDEX = f"{SERVER}/acme/_packaging/libs/pypi/simple/"
TOKEN = "qvr_" + "s" * 43
ENV_TOKEN = "qvr_" + "e" * 43


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring in a dict. Never viable, so keyring itself never picks it up."""

    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("only for tests")

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.entries[(service, username)]


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("QUIVER_TOKEN", raising=False)
    monkeypatch.delenv("QUIVER_SERVER", raising=False)
    monkeypatch.setattr(store, "real_keyring", lambda: None)


@pytest.fixture
def ring() -> QuiverKeyring:
    return QuiverKeyring()


def _credential(ring: QuiverKeyring, service: str, username: str | None) -> tuple[str, str]:
    found = ring.get_credential(service, username)
    assert found is not None, service
    return found.username, found.password


def test_a_stored_server_answers_for_every_url_under_it(ring: QuiverKeyring) -> None:
    store.save(SERVER, TOKEN, "alice")
    for url in (INDEX, INDEX + "app-one/", SERVER, SERVER + "/", "HTTP://127.0.0.1:8080/x"):
        assert ring.get_password(url, "anything") == TOKEN, url
        assert _credential(ring, url, None) == ("alice", TOKEN), url


def test_the_username_asked_for_is_answered_then_the_stored_one_then_quiver(
    ring: QuiverKeyring,
) -> None:
    store.save(SERVER, TOKEN, "alice")
    assert _credential(ring, INDEX, "bob") == ("bob", TOKEN)
    assert _credential(ring, INDEX, None) == ("alice", TOKEN)
    store.save(SERVER, TOKEN)
    assert _credential(ring, INDEX, None) == ("quiver", TOKEN)
    assert _credential(ring, INDEX, "") == ("quiver", TOKEN)


def test_any_username_or_password_in_the_url_is_ignored(ring: QuiverKeyring) -> None:
    store.save(SERVER, TOKEN)
    for url in (
        "http://anything@127.0.0.1:8080/acme/_packaging/libs/pypi/simple/",
        "http://__token__:wrong@127.0.0.1:8080/acme/_packaging/libs/pypi/simple/",
        "http://user%40example.com@127.0.0.1:8080/",
    ):
        assert ring.get_password(url, "someone-else") == TOKEN, url
        assert _credential(ring, url, None)[1] == TOKEN, url


@pytest.mark.parametrize(
    "service",
    [
        "http://127.0.0.1:9090/acme/_packaging/libs/pypi/simple/",  # another port
        "https://127.0.0.1:8080/acme/_packaging/libs/pypi/simple/",  # another scheme
        "http://localhost:8080/acme/_packaging/libs/pypi/simple/",  # another host name
        "https://pypi.org/simple/",
        "http://other.example/simple/",
        "127.0.0.1:9090",
        "other.example",
        "quiver:http://127.0.0.1:8080",  # the store's own system-keyring entry
        "ftp://127.0.0.1:8080/",
        "system",
        "not a url at all",
        "",
    ],
)
def test_unknown_services_get_nothing(ring: QuiverKeyring, service: str) -> None:
    store.save(SERVER, TOKEN)
    assert ring.get_password(service, "anything") is None
    assert ring.get_credential(service, None) is None
    assert ring.get_credential(service, "anything") is None


def test_nothing_stored_answers_nothing(ring: QuiverKeyring) -> None:
    assert ring.get_password(INDEX, "anything") is None
    assert ring.get_credential(INDEX, None) is None
    assert ring.get_credential("127.0.0.1:8080", None) is None


def test_a_path_prefix_must_match_whole_segments(ring: QuiverKeyring) -> None:
    store.save("https://feeds.example/quiver", TOKEN)
    assert ring.get_password("https://feeds.example/quiver/org/_packaging/f/", "u") == TOKEN
    assert ring.get_password("https://feeds.example/quiver-other/simple/", "u") is None
    assert ring.get_password("https://feeds.example/simple/", "u") is None


def test_the_longest_stored_prefix_wins(ring: QuiverKeyring) -> None:
    store.save("https://feeds.example", "qvr_root")
    store.save("https://feeds.example/team", TOKEN)
    assert ring.get_password("https://feeds.example/team/o/_packaging/f/", "u") == TOKEN
    assert ring.get_password("https://feeds.example/o/_packaging/f/", "u") == "qvr_root"


@pytest.mark.parametrize("netloc", ["127.0.0.1:8080", " 127.0.0.1:8080 "])
def test_a_bare_netloc_matches_a_server_on_that_host(ring: QuiverKeyring, netloc: str) -> None:
    store.save(SERVER, TOKEN, "alice")
    assert ring.get_password(netloc, "anything") == TOKEN
    assert _credential(ring, netloc, None) == ("alice", TOKEN)


def test_a_bare_netloc_matches_servers_with_a_path_and_default_ports(
    ring: QuiverKeyring,
) -> None:
    store.save("https://feeds.example/quiver", TOKEN)
    for netloc in ("feeds.example", "FEEDS.example:443"):
        assert ring.get_password(netloc, "u") == TOKEN, netloc
    assert ring.get_password("feeds.example:8443", "u") is None
    assert ring.get_password("other.example", "u") is None


def test_a_bare_netloc_prefers_the_https_server(ring: QuiverKeyring) -> None:
    store.save("http://feeds.example", "qvr_plain")
    store.save("https://feeds.example", TOKEN)
    assert ring.get_password("feeds.example", "u") == TOKEN


def test_quiver_token_wins_over_a_stored_login(
    ring: QuiverKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.save(SERVER, TOKEN, "alice")
    monkeypatch.setenv("QUIVER_TOKEN", ENV_TOKEN)
    assert ring.get_password(INDEX, "anything") == ENV_TOKEN
    assert _credential(ring, INDEX, None) == ("alice", ENV_TOKEN)
    assert ring.get_password("127.0.0.1:8080", "anything") == ENV_TOKEN
    # ...but only for the stored servers' URLs, not for others.
    assert ring.get_password("http://127.0.0.1:9090/o/_packaging/f/pypi/simple/", "u") is None
    assert ring.get_password("https://pypi.org/simple/", "u") is None


def test_quiver_token_alone_answers_feed_urls_only(
    ring: QuiverKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUIVER_TOKEN", ENV_TOKEN)
    assert ring.get_password(INDEX, "anything") == ENV_TOKEN
    assert _credential(ring, "https://ci.example/o/p/_packaging/f/pypi/upload/", None) == (
        "quiver",
        ENV_TOKEN,
    )
    assert ring.get_password("https://pypi.org/simple/", "u") is None
    assert ring.get_password("127.0.0.1:8080", "u") is None


def test_quiver_server_limits_quiver_token_to_that_server(
    ring: QuiverKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUIVER_TOKEN", ENV_TOKEN)
    monkeypatch.setenv("QUIVER_SERVER", "https://ci.example/quiver/")
    assert ring.get_password("https://ci.example/quiver/simple/", "u") == ENV_TOKEN
    assert ring.get_password("ci.example", "u") == ENV_TOKEN
    assert ring.get_password(INDEX, "u") is None
    assert ring.get_password("https://ci.example/other/_packaging/f/", "u") is None


def test_a_token_kept_in_the_system_keyring_is_answered(
    ring: QuiverKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory = MemoryKeyring()
    monkeypatch.setattr(store, "real_keyring", lambda: memory)
    assert store.save(SERVER, TOKEN, "alice") == "keyring"
    assert TOKEN not in store.credentials_path().read_text()
    assert ring.get_password(INDEX, "anything") == TOKEN
    memory.entries.clear()  # the keyring lost it: nothing, and no error
    assert ring.get_password(INDEX, "anything") is None


def test_errors_inside_answer_nothing(ring: QuiverKeyring, monkeypatch: pytest.MonkeyPatch) -> None:
    store.credentials_path().parent.mkdir(parents=True)
    store.credentials_path().write_text("{not json")
    assert ring.get_password(INDEX, "anything") is None

    def broken(url: str) -> store.Credential | None:
        raise OSError("disk on fire")

    monkeypatch.setattr(store, "credential_for", broken)
    assert ring.get_password(INDEX, "anything") is None
    assert ring.get_credential(INDEX, None) is None
    assert ring.get_credential("127.0.0.1:8080", None) is None


def test_a_store_that_asks_keyring_again_does_not_loop(
    ring: QuiverKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def reentrant(url: str) -> store.Credential | None:
        calls.append(url)
        assert ring.get_password(url, "token") is None  # the inner lookup stays out
        return store.Credential(SERVER, TOKEN)

    monkeypatch.setattr(store, "credential_for", reentrant)
    assert ring.get_password(INDEX, "anything") == TOKEN
    assert calls == [INDEX]


def test_lookups_never_print(ring: QuiverKeyring, capfd: pytest.CaptureFixture[str]) -> None:
    store.save(SERVER, TOKEN)
    ring.get_password(INDEX, "u")
    ring.get_credential("http://other.example/", None)
    ring.get_credential("127.0.0.1:8080", None)
    assert capfd.readouterr() == ("", "")


def test_storing_a_token_for_a_quiver_server_is_refused(ring: QuiverKeyring) -> None:
    store.save(SERVER, TOKEN)
    with pytest.raises(PasswordSetError, match="quiver login") as refused:
        ring.set_password(INDEX, "anything", "qvr_other")
    assert not isinstance(refused.value, NotImplementedError)  # the chainer stops here
    assert "qvr_other" not in str(refused.value)
    with pytest.raises(PasswordDeleteError, match="quiver logout") as kept:
        ring.delete_password("127.0.0.1:8080", "anything")
    assert not isinstance(kept.value, NotImplementedError)
    assert ring.get_password(INDEX, "anything") == TOKEN


def test_other_services_are_refused_so_the_chainer_passes_them_on(
    ring: QuiverKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.save(SERVER, TOKEN)
    with pytest.raises(PasswordSetError, match="stores nothing") as refused:
        ring.set_password("https://pypi.org/", "me", "secret")
    assert isinstance(refused.value, NotImplementedError)
    with pytest.raises(PasswordDeleteError):
        ring.delete_password("https://pypi.org/", "me")

    memory = MemoryKeyring()
    monkeypatch.setattr(ChainerBackend, "backends", [ring, memory])
    chainer: keyring.backend.KeyringBackend = ChainerBackend()  # type: ignore[no-untyped-call]
    chainer.set_password("https://pypi.org/", "me", "secret")
    assert memory.entries == {("https://pypi.org/", "me"): "secret"}
    assert chainer.get_password("https://pypi.org/", "me") == "secret"
    found: Credential | None = chainer.get_credential(INDEX, None)
    assert found is not None
    assert found.password == TOKEN
    with pytest.raises(PasswordSetError, match="quiver login"):
        chainer.set_password(INDEX, "me", "secret")
    assert list(memory.entries) == [("https://pypi.org/", "me")]
    chainer.delete_password("https://pypi.org/", "me")
    assert memory.entries == {}


def test_keyring_finds_the_backend_through_its_entry_point() -> None:
    points = metadata.entry_points(group="keyring.backends")
    assert {(p.name, p.value) for p in points} >= {("quiver", "quiver_keyring.backend")}
    assert QuiverKeyring.viable
    loaded = [b for b in keyring.backend.get_all_keyring() if isinstance(b, QuiverKeyring)]
    assert len(loaded) == 1
    assert "priority: 9.9" in str(loaded[0])
    assert backend_module.QuiverKeyring.priority == pytest.approx(9.9)
    # Above every operating-system keyring (at most 5), below the chainer's 10: with another
    # real keyring present keyring picks the chainer, which asks us first.
    assert 5 < QuiverKeyring.priority < 10
