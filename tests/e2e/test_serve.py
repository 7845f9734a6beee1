"""``quiver serve`` itself: first-start admin token, settings errors."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.server import live_server

pytestmark = pytest.mark.e2e
QUIVER = str(Path(sys.executable).with_name("quiver"))


def _serve(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("QUIVER_")}
    return subprocess.run(
        [QUIVER, "serve"],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"QUIVER_PORT": "eighty"}, "QUIVER_PORT"),
        ({"QUIVER_ADMIN_TOKEN": "hunter2"}, "QUIVER_ADMIN_TOKEN must look like a Quiver token"),
        ({"QUIVER_MAX_UPLOAD_BYTES": "-1"}, "QUIVER_MAX_UPLOAD_BYTES"),
    ],
)
def test_bad_settings_are_one_line_errors(env: dict[str, str], words: str, tmp_path: Path) -> None:
    result = _serve({"QUIVER_DATA_DIR": str(tmp_path), **env})
    assert result.returncode == 2
    assert words in result.stderr
    assert "Traceback" not in result.stderr
    assert "hunter2" not in result.stderr


def test_first_start_creates_admin_token_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with live_server(data, env={"QUIVER_ADMIN_TOKEN": ""}) as server:
        token_file = data / "initial-admin-token"
        token = token_file.read_text().strip()
        assert token.startswith("qvr_")
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        assert token in server.log()  # printed once, on the first start
        me = httpx.get(server.url + "/_apis/users/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["username"] == "admin"
    with live_server(data, env={"QUIVER_ADMIN_TOKEN": ""}) as again:
        assert token not in again.log()
        assert token_file.read_text().strip() == token


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith("QUIVER_")}
    env = {**base, "QUIVER_DATA_DIR": str(tmp_path / "data")}
    for _ in range(2):  # a second run finds nothing to do
        result = subprocess.run(
            [QUIVER, "db", "upgrade"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert "newest schema" in result.stderr
    import sqlite3

    with sqlite3.connect(tmp_path / "data" / "quiver.db") as db:
        tables = {row[0] for row in db.execute("select name from sqlite_master where type='table'")}
    assert {"feeds", "files", "tokens", "filename_records", "alembic_version"} <= tables
