"""pip, uv and twine get a token from quiver-keyring: nothing in any URL, config or variable.

The only thing a client is told is where the feed is; the token comes from ``quiver login``
(run for real, storing into a temporary ``XDG_CONFIG_HOME``) or, in the CI case, from
``QUIVER_TOKEN``. keyring and quiver-keyring go into fresh venvs offline, from the wheelhouse
``make wheelhouse`` (a prerequisite of ``make test``) prepares: the plugin's own wheel plus
keyring and its dependencies pinned by uv.lock.

What each client needs (uv 0.13, pip 26, twine 7, keyring 25.7):

* pip ``--keyring-provider import``: keyring and quiver-keyring in the venv pip installs
  into; no username needed in the index URL (pip asks ``get_credential(url, None)``).
* pip ``--keyring-provider subprocess``: a ``keyring`` executable on ``PATH`` (here from a
  venv of its own); no username needed (pip runs ``keyring --mode=creds get URL``).
* uv ``--keyring-provider subprocess``: a username in the index URL (uv runs
  ``keyring get URL USERNAME``), or, without one, the index declared with
  ``authenticate = "always"`` (uv then runs ``keyring get URL --mode creds``).
* uv publish ``--keyring-provider subprocess``: a ``--username`` (any).
* twine: keyring in twine's environment; ``TWINE_USERNAME`` optional.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import rest
from tests.support.dists import build_wheel
from tests.support.server import LiveServer, live_server
from tests.support.venvs import Venv, client_env, make_venv, run, uv_binary

pytestmark = pytest.mark.e2e

FEED = "acme/keys"
PACKAGE = "kr-app"
BIN = Path(sys.executable).parent
WHEELHOUSE = Path(sys.executable).parents[1] / "tools" / "wheelhouse"
PLUGIN_SOURCES = Path(__file__).parents[2] / "plugins" / "quiver-keyring" / "src"
# No D-Bus session, so no desktop keyring is reached and nothing a test stores leaves its
# temporary XDG_CONFIG_HOME; no ~/.netrc either, so keyring is the only credential source.
ISOLATION = {"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent", "NETRC": os.devnull}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("server") / "data") as live:
        with live.client() as admin:
            rest.create_feed(admin, FEED)  # private: anonymous requests get 401
            rest.create_user(admin, "dev")
            rest.set_role(admin, FEED, "dev", "contributor")
        yield live


@pytest.fixture(scope="module")
def dev_token(server: LiveServer) -> str:
    with server.client() as admin:
        return rest.create_token(admin, "dev", "packaging:write")


@pytest.fixture(scope="module")
def published(server: LiveServer, dev_token: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """``kr-app 1.0`` in the feed, uploaded with the token given explicitly."""
    wheel = build_wheel(tmp_path_factory.mktemp("dists"), PACKAGE, "1.0")
    env = client_env(
        {"TWINE_USERNAME": "dev", "TWINE_PASSWORD": dev_token, "TWINE_NON_INTERACTIVE": "1"}
    )
    run(
        [
            BIN / "twine",
            "upload",
            "--disable-progress-bar",
            "--repository-url",
            server.upload_url(FEED),
            wheel,
        ],
        env=env,
    )


@pytest.fixture(scope="module")
def logged_in(server: LiveServer, dev_token: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An XDG_CONFIG_HOME in which the real ``quiver login`` stored the dev token."""
    config = tmp_path_factory.mktemp("config")
    env = client_env({"XDG_CONFIG_HOME": str(config), **ISOLATION})
    run([BIN / "quiver", "login", "--token", dev_token, server.url], env=env)
    stored = config / "quiver" / "credentials.json"
    assert stored.is_file()
    assert stored.stat().st_mode & 0o077 == 0
    return config


def keyring_env(config: Path, **extra: str) -> dict[str, str]:
    """A client environment whose only credential source is ``config`` (and ``extra``)."""
    return client_env({"XDG_CONFIG_HOME": str(config), **ISOLATION, **extra})


@pytest.fixture(scope="module")
def wheelhouse() -> Path:
    """The offline wheelhouse, checked to hold the plugin as it is in the source tree."""
    plugins = sorted(WHEELHOUSE.glob("quiver_keyring-*.whl"))
    if not plugins or not (WHEELHOUSE / "requirements.txt").is_file():
        pytest.fail(f"{WHEELHOUSE} is missing: run `make wheelhouse` (or `make test`).")
    with zipfile.ZipFile(plugins[-1]) as wheel:
        for source in (PLUGIN_SOURCES / "quiver_keyring").glob("*.py"):
            name = f"quiver_keyring/{source.name}"
            if name not in wheel.namelist() or wheel.read(name) != source.read_bytes():
                pytest.fail(f"{plugins[-1].name} is older than {name}: run `make wheelhouse`.")
    return WHEELHOUSE


def install_keyring(venv: Venv, wheelhouse: Path) -> None:
    """keyring (pinned by uv.lock) and quiver-keyring into ``venv``, offline."""
    plugin = sorted(wheelhouse.glob("quiver_keyring-*.whl"))[-1]
    venv.uv_pip(
        "install",
        "--offline",
        "--no-index",
        "--find-links",
        str(wheelhouse),
        "--requirement",
        str(wheelhouse / "requirements.txt"),
        str(plugin),
    )


@pytest.fixture(scope="module")
def keyring_tool(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> Path:
    """A directory holding only ``keyring`` (from a venv with quiver-keyring), for PATH."""
    base = tmp_path_factory.mktemp("keyring-tool")
    venv = make_venv(base / "venv", with_pip=False)
    install_keyring(venv, wheelhouse)
    path = base / "bin"
    path.mkdir()
    (path / "keyring").symlink_to(venv.path / "bin" / "keyring")
    return path


def feed_index(server: LiveServer, username: str = "") -> str:
    url = server.index_url(FEED)
    return url.replace("://", f"://{username}@", 1) if username else url


def assert_installed(venv: Venv) -> None:
    assert venv.installed().get(PACKAGE) == "1.0"


def test_keyring_lists_the_backend_and_answers_from_the_login(
    keyring_tool: Path, logged_in: Path, server: LiveServer, dev_token: str
) -> None:
    keyring = str(keyring_tool / "keyring")
    env = keyring_env(logged_in)
    listed = run([keyring, "--list-backends"], env=env).stdout
    assert "quiver_keyring.backend.QuiverKeyring (priority: 9.9)" in listed
    index = feed_index(server)
    assert run([keyring, "get", index, "anything"], env=env).stdout == dev_token + "\n"
    creds = run([keyring, "--mode", "creds", "get", index], env=env).stdout.splitlines()
    assert creds[1:] == [dev_token]
    host = server.url.split("://", 1)[1]
    assert run([keyring, "get", host, "x"], env=env).stdout == dev_token + "\n"


@pytest.mark.parametrize("username", ["anything", ""], ids=["user-in-url", "no-user"])
def test_pip_import_provider(
    server: LiveServer,
    published: None,
    logged_in: Path,
    wheelhouse: Path,
    tmp_path: Path,
    username: str,
) -> None:
    venv = make_venv(tmp_path / "venv")
    install_keyring(venv, wheelhouse)
    venv.pip(
        "install",
        "--keyring-provider",
        "import",
        "--index-url",
        feed_index(server, username),
        PACKAGE,
        env=keyring_env(logged_in),
    )
    assert_installed(venv)


@pytest.mark.parametrize("username", ["anything", ""], ids=["user-in-url", "no-user"])
def test_pip_subprocess_provider(
    server: LiveServer,
    published: None,
    logged_in: Path,
    keyring_tool: Path,
    tmp_path: Path,
    username: str,
) -> None:
    venv = make_venv(tmp_path / "venv")  # empty: no keyring in it
    venv.pip(
        "install",
        "--keyring-provider",
        "subprocess",
        "--index-url",
        feed_index(server, username),
        PACKAGE,
        env=keyring_env(logged_in, PATH=str(keyring_tool)),
    )
    assert_installed(venv)
    assert set(venv.installed()) == {PACKAGE}


def test_uv_subprocess_provider_with_a_username_in_the_url(
    server: LiveServer, published: None, logged_in: Path, keyring_tool: Path, tmp_path: Path
) -> None:
    venv = make_venv(tmp_path / "venv", with_pip=False)
    venv.uv_pip(
        "install",
        "--keyring-provider",
        "subprocess",
        "--index-url",
        feed_index(server, "anything"),
        PACKAGE,
        env=keyring_env(logged_in, PATH=str(keyring_tool)),
    )
    assert_installed(venv)


def test_uv_subprocess_provider_without_a_username(
    server: LiveServer, published: None, logged_in: Path, keyring_tool: Path, tmp_path: Path
) -> None:
    # Without a username uv asks keyring only for an index marked `authenticate = "always"`.
    config = tmp_path / "uv.toml"
    config.write_text(
        f'[[index]]\nname = "quiver"\nurl = "{feed_index(server)}"\n'
        'default = true\nauthenticate = "always"\n'
    )
    venv = make_venv(tmp_path / "venv", with_pip=False)
    venv.uv_pip(
        "install",
        "--config-file",
        str(config),
        "--keyring-provider",
        "subprocess",
        PACKAGE,
        env=keyring_env(logged_in, PATH=str(keyring_tool)),
    )
    assert_installed(venv)


@pytest.mark.parametrize("username", ["anything", None], ids=["twine-username", "no-username"])
def test_twine_upload_gets_the_token_from_keyring(
    server: LiveServer, logged_in: Path, tmp_path: Path, username: str | None
) -> None:
    # twine runs in this venv, which has quiver-keyring installed (editable).
    name = f"kr-twine-{'user' if username else 'nouser'}"
    wheel = build_wheel(tmp_path, name, "1.0")
    extra = {"TWINE_NON_INTERACTIVE": "1"}
    if username:
        extra["TWINE_USERNAME"] = username
    result = run(
        [
            BIN / "twine",
            "upload",
            "--disable-progress-bar",
            "--repository-url",
            server.upload_url(FEED),
            wheel,
        ],
        env=keyring_env(logged_in, **extra),
    )
    assert "error" not in (result.stdout + result.stderr).lower()
    with server.client() as admin:
        page = admin.get(server.index_url(FEED) + f"{name}/")
    assert page.status_code == 200
    assert wheel.name in page.text


def test_quiver_token_alone_serves_ci(
    server: LiveServer,
    published: None,
    dev_token: str,
    wheelhouse: Path,
    keyring_tool: Path,
    tmp_path: Path,
) -> None:
    empty = tmp_path / "config"  # no `quiver login` here
    venv = make_venv(tmp_path / "venv")
    install_keyring(venv, wheelhouse)
    venv.pip(
        "install",
        "--keyring-provider",
        "import",
        "--index-url",
        feed_index(server),
        PACKAGE,
        env=keyring_env(empty, QUIVER_TOKEN=dev_token, QUIVER_SERVER=server.url),
    )
    assert_installed(venv)
    # Without QUIVER_SERVER the token answers for any feed address (`/_packaging/`).
    uv_venv = make_venv(tmp_path / "uv", with_pip=False)
    uv_venv.uv_pip(
        "install",
        "--keyring-provider",
        "subprocess",
        "--index-url",
        feed_index(server, "ci"),
        PACKAGE,
        env=keyring_env(empty, QUIVER_TOKEN=dev_token, PATH=str(keyring_tool)),
    )
    assert_installed(uv_venv)
    assert not (empty / "quiver").exists()


def test_without_credentials_the_install_fails(
    server: LiveServer, published: None, keyring_tool: Path, tmp_path: Path
) -> None:
    """The control: the same install with nothing logged in gets a 401 and does not prompt."""
    venv = make_venv(tmp_path / "venv")
    result = venv.pip(
        "install",
        "--keyring-provider",
        "subprocess",
        "--index-url",
        feed_index(server),
        PACKAGE,
        env=keyring_env(tmp_path / "config", PATH=str(keyring_tool)),
        check=False,
        timeout=120,
    )
    assert result.returncode != 0
    assert PACKAGE not in venv.installed()


@pytest.mark.parametrize(
    "args",
    [
        ["get", "http://other.example/simple/", "x"],
        ["--mode", "creds", "get", "http://other.example/simple/"],
        ["get", "https://pypi.org/simple/", "__token__"],
        ["get", "other.example:8080", "x"],
    ],
)
def test_keyring_answers_nothing_for_unknown_urls_without_prompting(
    keyring_tool: Path, logged_in: Path, dev_token: str, args: list[str]
) -> None:
    env = keyring_env(logged_in, QUIVER_TOKEN=dev_token)
    started = time.monotonic()
    result = subprocess.run(
        [str(keyring_tool / "keyring"), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    assert dev_token not in result.stderr
    assert time.monotonic() - started < 30


def test_uv_publish_gets_the_token_from_keyring(
    server: LiveServer, logged_in: Path, keyring_tool: Path, tmp_path: Path
) -> None:
    wheel = build_wheel(tmp_path, "kr-uv-published", "1.0")
    run(
        [
            uv_binary(),
            "publish",
            "--keyring-provider",
            "subprocess",
            "--username",
            "anything",
            "--publish-url",
            server.upload_url(FEED),
            wheel,
        ],
        env=keyring_env(logged_in, PATH=str(keyring_tool)),
    )
    with server.client() as admin:
        page = admin.get(server.index_url(FEED) + "kr-uv-published/")
    assert page.status_code == 200
    assert wheel.name in page.text
