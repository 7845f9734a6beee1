"""``quiver serve`` itself: first-start admin token, settings errors."""

from __future__ import annotations

import stat
from pathlib import Path

import httpx
import pytest

from tests.support.cli import Result, run_quiver, without_quiver_settings
from tests.support.server import live_server

pytestmark = pytest.mark.e2e


def _serve(env: dict[str, str]) -> Result:
    return run_quiver(["serve"], {**without_quiver_settings(), **env}, timeout=30)


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"QUIVER_PORT": "eighty"}, "QUIVER_PORT"),
        ({"QUIVER_ADMIN_TOKEN": "hunter2"}, "QUIVER_ADMIN_TOKEN: must look like a Quiver token"),
        ({"QUIVER_MAX_UPLOAD_BYTES": "-1"}, "QUIVER_MAX_UPLOAD_BYTES"),
    ],
)
def test_bad_settings_are_one_line_errors(env: dict[str, str], words: str, tmp_path: Path) -> None:
    result = _serve({"QUIVER_DATA_DIR": str(tmp_path), **env})
    assert result.code == 2
    assert words in result.err
    assert "Traceback" not in result.err
    assert "hunter2" not in result.err


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
    env = {**without_quiver_settings(), "QUIVER_DATA_DIR": str(tmp_path / "data")}
    for _ in range(2):  # a second run finds nothing to do
        result = run_quiver(["db", "upgrade"], env)
        assert result.code == 0, result.err
        assert "newest schema" in result.err
    import sqlite3

    with sqlite3.connect(tmp_path / "data" / "quiver.db") as db:
        tables = {row[0] for row in db.execute("select name from sqlite_master where type='table'")}
    assert {"feeds", "files", "tokens", "filename_records", "alembic_version"} <= tables
