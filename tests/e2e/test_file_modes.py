"""Issue 11 #10: what Quiver writes is readable by its own user only, whatever the umask.

A real ``quiver serve`` and ``quiver admin backup`` run under umask 022 on a data
directory an older Quiver left readable by everyone; after a publish every directory
under the data directory and the backup is 0700 and every file 0600.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.http.publishing import form_for, upload_url
from tests.support import rest
from tests.support.cli import run_quiver, without_quiver_settings
from tests.support.dists import build_wheel
from tests.support.postgres import require_postgres, temporary_database
from tests.support.server import live_server

pytestmark = pytest.mark.e2e
FEED = "acme/libs"


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask for this test and the processes it starts."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


@contextmanager
def database(backend: str, data: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{data / 'quiver.db'}"
        return
    require_postgres()
    with temporary_database() as url:
        yield url


def open_modes(root: Path) -> dict[str, str]:
    """Every path under ``root`` (itself included) whose mode is not 0700/0600."""
    found = {}
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        wanted = 0o700 if path.is_dir() else 0o600
        if mode != wanted:
            found[str(path.relative_to(root))] = oct(mode)
    return found


def made_by_an_older_quiver(data: Path) -> None:
    """A data directory as umask 022 left it: 0755 directories, a 0644 blob."""
    blob = data / "blobs" / "ab" / "cd" / ("ab" + "cd" * 31) / "old-1.0-py3-none-any.whl"
    blob.parent.mkdir(parents=True)
    blob.write_bytes(b"old")
    blob.chmod(0o644)
    for directory in (data, *blob.parents):
        if directory.is_relative_to(data):
            directory.chmod(0o755)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_data_and_backups_are_private(backend: str, tmp_path: Path, umask_022: None) -> None:
    data = tmp_path / "data"
    made_by_an_older_quiver(data)
    wheel = build_wheel(tmp_path / "dist", "private-pkg", "1.0")
    backup = tmp_path / "backup"
    with database(backend, data) as url, live_server(data, database_url=url) as server:
        with server.client() as admin:
            rest.create_feed(admin, FEED)
            published = admin.post(
                upload_url(FEED),
                data=form_for(wheel),
                files={"content": (wheel.name, wheel.read_bytes())},
            )
            assert published.status_code == 200, published.text
            assert admin.get("/_auth/device").status_code == 200  # writes the form key
        if backend == "sqlite":
            assert {"quiver.db", "quiver.db-wal", "quiver.db-shm"} <= {
                p.name for p in data.iterdir()
            }
        assert open_modes(data) == {}
        env = {**without_quiver_settings(), "QUIVER_DATA_DIR": str(data)}
        env["QUIVER_DATABASE_URL"] = url
        made = run_quiver(["admin", "backup", str(backup)], env, timeout=120)
        assert made.code == 0, made
    assert open_modes(backup) == {}
    assert (backup / "manifest.json").is_file()
    fixed = [line for line in server.log().splitlines() if "readable by other users" in line]
    assert len(fixed) == 1, server.log()
    assert "6 files and directories" in fixed[0], fixed  # 5 directories and the blob
