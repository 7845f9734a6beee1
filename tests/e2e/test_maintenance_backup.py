"""Backup, wipe, restore, install again: SQLite with the filesystem store, and PostgreSQL
with S3 (moto's server), each through ``quiver admin backup``/``restore`` and live servers.

The backups are taken while the server runs; after the restore a new server shows the same
index pages (HTML and JSON) and pip installs from it with the same admin token.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support import rest
from tests.support.cli import run_quiver, without_quiver_settings
from tests.support.dists import build_sdist, build_wheel
from tests.support.postgres import require_postgres, temporary_database
from tests.support.s3 import S3Server
from tests.support.server import LiveServer, live_server
from tests.support.uploads import pip_install, twine_upload, uv_publish

pytestmark = pytest.mark.e2e
FEED = "acme/libs"
JSON = "application/vnd.pypi.simple.v1+json"


def pages(server: LiveServer, *packages: str) -> dict[str, str]:
    """The feed's index pages, HTML and JSON, by path and format."""
    found = {}
    with server.client() as admin:
        for path in ["", *(f"{name}/" for name in packages)]:
            for accept in ("text/html", JSON):
                answer = admin.get(server.index_url(FEED) + path, headers={"Accept": accept})
                assert answer.status_code == 200, answer.text
                found[f"{path} {accept}"] = answer.text
    return found


def admin_command(env: dict[str, str], *args: str) -> str:
    result = run_quiver(["admin", *args], env, timeout=120)
    assert result.code == 0, result
    return result.err


def test_sqlite_and_filesystem(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {**without_quiver_settings(), "QUIVER_DATA_DIR": str(data)}
    files = [build_wheel(tmp_path, "keep-me", "1.0"), build_sdist(tmp_path, "keep-too", "2.0")]
    with live_server(data) as server:
        with server.client() as admin:
            rest.create_feed(admin, FEED)
        twine_upload(server, FEED, *files)
        before = pages(server, "keep-me", "keep-too")
        said = admin_command(env, "backup", str(tmp_path / "backup"))
        assert "and 3 blobs" in said, said

    shutil.rmtree(data)  # everything is gone
    said = admin_command(env, "restore", str(tmp_path / "backup"))
    assert "3 copied, 0 already in the store" in said, said
    with live_server(data) as server:
        assert pages(server, "keep-me", "keep-too") == before
        installed = pip_install(server, FEED, tmp_path / "venv", "keep-me", "keep-too")
        assert installed == {"keep-me": "1.0", "keep-too": "2.0"}
    assert admin_command(env, "fsck").strip().endswith("Nothing to fix.")


def settings(tmp_path: Path, database_url: str, storage_url: str, data: str) -> dict[str, str]:
    return {
        "QUIVER_DATABASE_URL": database_url,
        "QUIVER_STORAGE_URL": storage_url,
        "QUIVER_DATA_DIR": str(tmp_path / data),
    }


def test_postgresql_and_s3(tmp_path: Path, s3: S3Server) -> None:
    require_postgres()
    files = [build_wheel(tmp_path, "scaled-app", "3.0"), build_sdist(tmp_path, "scaled-lib", "1.5")]
    old_bucket, new_bucket = s3.create_bucket(), s3.create_bucket()
    with temporary_database() as old_url, temporary_database() as new_url:
        old = {**s3.env(), **settings(tmp_path, old_url, f"s3://{old_bucket}/q", "old")}
        with live_server(tmp_path / "old", env=old) as server:
            with server.client() as admin:
                rest.create_feed(admin, FEED)
            uv_publish(server, FEED, *files)
            before = pages(server, "scaled-app", "scaled-lib")
            backup_env = {**without_quiver_settings(), **old}  # run on a server's host
            admin_command(backup_env, "backup", str(tmp_path / "backup"))

        # the database and the bucket are lost: a new, empty one of each
        new = {**s3.env(), **settings(tmp_path, new_url, f"s3://{new_bucket}/q", "new")}
        restore_env = {**without_quiver_settings(), **new}
        said = admin_command(restore_env, "restore", str(tmp_path / "backup"))
        assert "3 copied" in said, said
        assert len(s3.keys(new_bucket, "q/")) == 3
        with live_server(tmp_path / "new", env=new) as server:
            assert pages(server, "scaled-app", "scaled-lib") == before
            installed = pip_install(server, FEED, tmp_path / "venv", "scaled-app", "scaled-lib")
            assert installed == {"scaled-app": "3.0", "scaled-lib": "1.5"}
            # the restored sequences go on: a new version gets new rows
            uv_publish(server, FEED, build_wheel(tmp_path / "more", "scaled-app", "3.1"))
