"""Self-test of tests/support: hand-built dists install with real pip and uv, offline."""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.support import postgres
from tests.support.dists import build_sdist, build_wheel, escape_name, metadata_text
from tests.support.ports import free_port
from tests.support.postgres import database_exists, require_postgres, temporary_database
from tests.support.venvs import client_env, make_venv, redact, run

IMPORT_BOTH = "import app_one, lib_two; print(app_one.__version__, lib_two.__version__)"


@pytest.fixture(scope="module")
def wheel_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """lib-two 1.0 and app-one 1.0 (requires lib-two>=1), both as wheels."""
    directory = tmp_path_factory.mktemp("wheels")
    build_wheel(directory, "lib-two", "1.0")
    build_wheel(directory, "App.One", "1.0", requires_dist=["lib-two>=1"])
    return directory


@pytest.fixture(scope="module")
def sdist_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """app-one 2.0 only as an sdist (requires lib-two>=1), lib-two 1.0 as a wheel."""
    directory = tmp_path_factory.mktemp("sdists")
    build_wheel(directory, "lib-two", "1.0")
    build_sdist(directory, "app-one", "2.0", requires_dist=["lib-two>=1"])
    return directory


def test_escape_name() -> None:
    assert escape_name("Foo.Bar--baz_Qux") == "foo_bar_baz_qux"


def test_metadata_text_fields_in_order() -> None:
    text = metadata_text(
        "App-One",
        "1.0",
        requires_dist=["a>=1", "b; extra == 'x'"],
        requires_python=">=3.8",
        extra_metadata="Provides-Extra: x\n\n",
    )
    assert text == (
        "Metadata-Version: 2.4\nName: App-One\nVersion: 1.0\nSummary: test package\n"
        "Requires-Python: >=3.8\nRequires-Dist: a>=1\nRequires-Dist: b; extra == 'x'\n"
        "Provides-Extra: x\n"
    )


def test_wheel_layout_record_and_determinism(tmp_path: Path) -> None:
    first = build_wheel(tmp_path / "a", "App.One", "1.0", tag="py2.py3-none-any")
    second = build_wheel(tmp_path / "b", "App.One", "1.0", tag="py2.py3-none-any")
    assert first.name == "app_one-1.0-py2.py3-none-any.whl"
    assert first.read_bytes() == second.read_bytes()

    with zipfile.ZipFile(first) as archive:
        names = archive.namelist()
        assert names == [
            "app_one/__init__.py",
            "app_one-1.0.dist-info/METADATA",
            "app_one-1.0.dist-info/WHEEL",
            "app_one-1.0.dist-info/RECORD",
        ]
        assert archive.read("app_one/__init__.py") == b'__version__ = "1.0"\n'
        wheel = archive.read("app_one-1.0.dist-info/WHEEL").decode()
        assert "Tag: py2-none-any\nTag: py3-none-any\n" in wheel
        assert "Root-Is-Purelib: true\n" in wheel
        record = archive.read("app_one-1.0.dist-info/RECORD").decode().splitlines()
        assert record[-1] == "app_one-1.0.dist-info/RECORD,,"
        for line in record[:-1]:
            path, digest, size = line.split(",")
            data = archive.read(path)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert digest == "sha256=" + expected.decode()
            assert int(size) == len(data)


def test_sdist_layout_and_determinism(tmp_path: Path) -> None:
    first = build_sdist(tmp_path / "a", "App.One", "1.0", requires_dist=["lib-two"])
    second = build_sdist(tmp_path / "b", "App.One", "1.0", requires_dist=["lib-two"])
    assert first.name == "app_one-1.0.tar.gz"
    assert first.read_bytes() == second.read_bytes()
    with tarfile.open(first) as archive:
        files = {member.name for member in archive.getmembers() if member.isfile()}
        pkg_info = archive.extractfile("app_one-1.0/PKG-INFO")
        assert pkg_info is not None
        assert "Requires-Dist: lib-two\n" in pkg_info.read().decode()
    assert files == {
        "app_one-1.0/PKG-INFO",
        "app_one-1.0/pyproject.toml",
        "app_one-1.0/backend.py",
        "app_one-1.0/_quiver_dists.py",
        "app_one-1.0/app_one/__init__.py",
    }


def test_redact() -> None:
    text = "GET https://me:qvr_s3cr-t_X@host/simple/ and Bearer qvr_abcDEF123 and http://h/x@y"
    assert redact(text) == "GET https://***@host/simple/ and Bearer *** and http://h/x@y"


def test_client_env_isolates(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PIP_INDEX_URL", "UV_INDEX_URL", "TWINE_PASSWORD", "QUIVER_DATA_DIR"):
        monkeypatch.setenv(name, "leak")
    monkeypatch.setenv("VIRTUAL_ENV", "/somewhere")
    monkeypatch.setenv("PYTHONPATH", "/somewhere")
    env = client_env({"EXTRA": "1", "NO_COLOR": "0"})
    assert not {"PIP_INDEX_URL", "UV_INDEX_URL", "TWINE_PASSWORD", "QUIVER_DATA_DIR"} & set(env)
    assert "VIRTUAL_ENV" not in env
    assert "PYTHONPATH" not in env
    assert env["PIP_CONFIG_FILE"] == os.devnull
    assert env["UV_NO_CONFIG"] == "1"
    assert env["EXTRA"] == "1"
    assert env["NO_COLOR"] == "0"
    assert Path(env["UV_CACHE_DIR"]).parent.is_dir()
    assert client_env()["UV_CACHE_DIR"] != env["UV_CACHE_DIR"]


def test_failed_command_raises_with_redacted_output() -> None:
    code = "import sys; print('https://u:pw@h/'); sys.exit(3)"
    with pytest.raises(AssertionError) as excinfo:
        run([sys.executable, "-c", code, "qvr_token"])
    message = str(excinfo.value)
    assert "exit status 3" in message
    assert "https://***@h/" in message
    assert "qvr_token" not in message
    assert "pw" not in message


def test_free_port_is_bindable() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_pip_installs_wheels_with_dependency(tmp_path: Path, wheel_dir: Path) -> None:
    venv = make_venv(tmp_path / "venv")
    venv.pip("install", "--no-index", "--find-links", str(wheel_dir), "app-one")
    assert venv.installed() == {"app-one": "1.0", "lib-two": "1.0"}
    assert venv.run_python(IMPORT_BOTH).split() == ["1.0", "1.0"]


def test_uv_installs_wheels_with_dependency(tmp_path: Path, wheel_dir: Path) -> None:
    venv = make_venv(tmp_path / "venv", with_pip=False)
    venv.uv_pip("install", "--offline", "--no-index", "--find-links", str(wheel_dir), "app-one")
    assert venv.installed() == {"app-one": "1.0", "lib-two": "1.0"}
    assert venv.run_python(IMPORT_BOTH).split() == ["1.0", "1.0"]
    with pytest.raises(AssertionError, match="with_pip=False"):
        venv.pip("--version")


def test_pip_builds_sdist_with_isolation(tmp_path: Path, sdist_dir: Path) -> None:
    venv = make_venv(tmp_path / "venv")
    result = venv.pip("install", "--no-index", "--find-links", str(sdist_dir), "app-one")
    assert "app_one-2.0.tar.gz" in result.stdout  # really built from the sdist
    assert venv.installed() == {"app-one": "2.0", "lib-two": "1.0"}
    assert venv.run_python(IMPORT_BOTH).split() == ["2.0", "1.0"]


def test_uv_builds_sdist_offline(tmp_path: Path, sdist_dir: Path) -> None:
    venv = make_venv(tmp_path / "venv", with_pip=False)
    venv.uv_pip("install", "--offline", "--no-index", "--find-links", str(sdist_dir), "app-one")
    assert venv.installed() == {"app-one": "2.0", "lib-two": "1.0"}


@pytest.mark.postgres
def test_temporary_database_created_and_dropped() -> None:
    require_postgres()
    with temporary_database("quiver_selftest") as url:
        assert url.startswith("postgresql://postgres@127.0.0.1:5432/quiver_selftest_")
        name = url.rsplit("/", 1)[1]
        assert database_exists(name)
    assert not database_exists(name)


@pytest.mark.postgres
async def test_temporary_database_inside_event_loop() -> None:
    require_postgres()
    with temporary_database() as url:
        assert database_exists(url.rsplit("/", 1)[1])


def test_require_postgres_skips_locally_and_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postgres, "POSTGRES_PORT", free_port())
    assert not postgres.postgres_available()
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        require_postgres()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run"):
        require_postgres()
