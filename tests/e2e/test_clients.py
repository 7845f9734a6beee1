"""Real twine, uv publish, pip and uv pip install against a real server process.

pip and uv run in fresh venvs with this machine's configuration removed
(``tests.support.venvs.client_env``), so nothing but the feed can satisfy an
install. Credentials travel in environment variables, never in arguments.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import rest
from tests.support.dists import build_sdist, build_wheel
from tests.support.server import LiveServer, live_server
from tests.support.venvs import client_env, make_venv, run, uv_binary

pytestmark = pytest.mark.e2e
FEED = "acme/libs"
TWINE = str(Path(sys.executable).with_name("twine"))
# twine 6.2+ allows --skip-existing only for PyPI; `make test` keeps twine 6.1 beside us.
TWINE_LEGACY = Path(sys.executable).parents[1] / "tools" / "twine-6.1" / "bin" / "twine"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("server") / "data") as live:
        with live.client() as admin:
            rest.create_feed(admin, FEED)
            rest.create_feed(admin, "acme/web/apps", visibility="public")
            rest.create_user(admin, "dev")
            rest.set_role(admin, FEED, "dev", "contributor")
            rest.set_role(admin, "acme/web/apps", "dev", "contributor")
        yield live


@pytest.fixture(scope="module")
def dev_token(server: LiveServer) -> str:
    with server.client() as admin:
        return rest.create_token(admin, "dev", "packaging:write")


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dists")
    return {
        "app": build_wheel(
            out,
            "app-one",
            "1.0",
            requires_dist=["lib-two>=1.0"],
            metadata_version="2.5",
            extra_metadata="License-Expression: MIT\nImport-Name: app_one\n",
        ),
        "lib_wheel": build_wheel(out, "lib-two", "1.1", requires_dist=["tiny-three"]),
        "lib_sdist": build_sdist(out, "lib-two", "1.1", requires_dist=["tiny-three"]),
        "tiny_sdist": build_sdist(out, "tiny-three", "0.5"),
    }


def twine(
    server: LiveServer, ref: str, token: str, *args: str, check: bool = True, legacy: bool = False
) -> str:
    env = client_env(
        {"TWINE_USERNAME": "anything", "TWINE_PASSWORD": token, "TWINE_NON_INTERACTIVE": "1"}
    )
    if legacy and not TWINE_LEGACY.exists():
        pytest.fail(f"{TWINE_LEGACY} is missing: run the tests with `make test`.")
    result = run(
        [
            str(TWINE_LEGACY) if legacy else TWINE,
            "upload",
            "--disable-progress-bar",
            "--repository-url",
            server.upload_url(ref),
            *args,
        ],
        env=env,
        check=check,
    )
    return result.stdout + result.stderr


def uv_publish(server: LiveServer, ref: str, token: str, *files: Path, check: bool = True) -> str:
    """``uv publish``; with ``--check-url`` it skips files the index already has."""
    env = client_env(
        {
            "UV_PUBLISH_USERNAME": "me",
            "UV_PUBLISH_PASSWORD": token,
            "UV_PUBLISH_URL": server.upload_url(ref),
            "UV_PUBLISH_CHECK_URL": server.index_url(ref, token),
        }
    )
    result = run([str(uv_binary()), "publish", *map(str, files)], env=env, check=check)
    return result.stdout + result.stderr


def test_twine_publish_then_pip_installs_everything_from_the_feed(
    server: LiveServer, dev_token: str, dists: dict[str, Path], tmp_path: Path
) -> None:
    output = twine(
        server,
        FEED,
        dev_token,
        str(dists["app"]),
        str(dists["lib_wheel"]),
        str(dists["tiny_sdist"]),
    )
    assert "error" not in output.lower(), output
    venv = make_venv(tmp_path / "venv")
    env = client_env({"PIP_INDEX_URL": server.index_url(FEED, dev_token)})
    venv.pip("install", "app-one", env=env)
    assert venv.installed() == {"app-one": "1.0", "lib-two": "1.1", "tiny-three": "0.5"}
    assert (
        venv.run_python(
            "import app_one, lib_two, tiny_three; print(tiny_three.__version__)"
        ).strip()
        == "0.5"
    )


def test_twine_reupload_conflicts_and_skip_existing(
    server: LiveServer, dev_token: str, dists: dict[str, Path]
) -> None:
    twine(server, FEED, dev_token, str(dists["lib_sdist"]))
    failed = twine(server, FEED, dev_token, str(dists["lib_sdist"]), check=False)
    assert "409" in failed and "already exists" in failed, failed
    skipped = twine(
        server, FEED, dev_token, "--skip-existing", str(dists["lib_sdist"]), legacy=True
    )
    assert "Skipping" in skipped or "already exists" in skipped, skipped


def test_twine_shows_the_reason_of_a_rejection(
    server: LiveServer, dev_token: str, tmp_path: Path
) -> None:
    wheel = build_wheel(tmp_path, "other-name", "1.0")
    bad = wheel.with_name("renamed-1.0-py3-none-any.whl")
    wheel.rename(bad)
    output = twine(server, FEED, dev_token, str(bad), check=False)
    assert "400" in output
    assert "'other_name-1.0.dist-info' does" in output, output


def test_uv_publish_then_uv_installs_with_pep_691(
    server: LiveServer, dev_token: str, tmp_path: Path
) -> None:
    ref = "acme/web/apps"
    files = [
        build_wheel(tmp_path, "web-app", "2.0", requires_dist=["web-lib"]),
        build_sdist(tmp_path, "web-lib", "0.1"),
        build_wheel(tmp_path, "web-lib", "0.1"),
    ]
    uv_publish(server, ref, dev_token, *files)
    again = uv_publish(server, ref, dev_token, *files)
    assert "already exists" in again.lower() or "skipping" in again.lower(), again
    # A private feed: the check URL is read with the publish credentials.
    private = build_wheel(tmp_path, "private-lib", "1.0")
    uv_publish(server, FEED, dev_token, private)
    assert "skipping" in uv_publish(server, FEED, dev_token, private).lower()
    venv = make_venv(tmp_path / "venv", with_pip=False)
    # A public feed: anonymous installs work, and uv asks for PEP 691 JSON.
    venv.uv_pip("install", "web-app", env=client_env({"UV_INDEX_URL": server.index_url(ref)}))
    assert venv.installed() == {"web-app": "2.0", "web-lib": "0.1"}
    assert "application/vnd.pypi.simple.v1+json" in _served_types(server, ref)


def _served_types(server: LiveServer, ref: str) -> str:
    with server.client() as admin:
        response = admin.get(
            server.index_url(ref) + "web-app/",
            headers={"Accept": "application/vnd.pypi.simple.v1+json, text/html;q=0.1"},
        )
    return response.headers["content-type"]


def test_pip_installs_sdist_and_uv_installs_with_credentials(
    server: LiveServer, dev_token: str, dists: dict[str, Path], tmp_path: Path
) -> None:
    twine(
        server,
        FEED,
        dev_token,
        "--skip-existing",
        str(dists["lib_sdist"]),
        str(dists["tiny_sdist"]),
        legacy=True,
    )
    venv = make_venv(tmp_path / "venv")
    env = client_env({"PIP_INDEX_URL": server.index_url(FEED, dev_token)})
    venv.pip("install", "--no-binary", "lib-two", "lib-two==1.1", env=env)
    assert venv.installed()["lib-two"] == "1.1"
    uv_venv = make_venv(tmp_path / "uv", with_pip=False)
    uv_venv.uv_pip(
        "install", "lib-two", env=client_env({"UV_INDEX_URL": server.index_url(FEED, dev_token)})
    )
    assert uv_venv.installed()["tiny-three"] == "0.5"


@pytest.mark.parametrize("token", ["", "qvr_" + "x" * 43, "not-a-token"])
def test_install_without_valid_credentials_fails(
    server: LiveServer, token: str, tmp_path: Path
) -> None:
    venv = make_venv(tmp_path / "venv")
    env = client_env({"PIP_INDEX_URL": server.index_url(FEED, token or None)})
    result = venv.pip("install", "app-one", env=env, check=False)
    assert result.returncode != 0
    assert "401" in result.stdout + result.stderr or "No matching distribution" in result.stderr
    uv_result = venv.uv_pip(
        "install",
        "app-one",
        env=client_env({"UV_INDEX_URL": server.index_url(FEED, token or None)}),
        check=False,
    )
    assert uv_result.returncode != 0
    assert "401" in uv_result.stderr or "not found" in uv_result.stderr.lower(), uv_result.stderr


def test_reader_token_cannot_publish(server: LiveServer, dists: dict[str, Path]) -> None:
    with server.client() as admin:
        rest.create_user(admin, "viewer")
        rest.set_role(admin, FEED, "viewer", "reader")
        token = rest.create_token(admin, "viewer", "packaging:write")
    output = twine(server, FEED, token, str(dists["app"]), check=False)
    assert "403" in output and "contributor role" in output, output


def test_secrets_stay_out_of_the_server_log(server: LiveServer, dev_token: str) -> None:
    log = server.log()
    assert dev_token not in log
    assert server.admin_token not in log


def test_no_stray_processes(server: LiveServer) -> None:
    assert server.process.poll() is None
    assert subprocess.run(["true"], check=False).returncode == 0
