"""The real server on PostgreSQL: schema created on start, publish and install."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import rest
from tests.support.dists import build_wheel
from tests.support.postgres import require_postgres, temporary_database
from tests.support.server import live_server
from tests.support.venvs import client_env, make_venv

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def test_publish_and_install_on_postgresql(tmp_path: Path) -> None:
    require_postgres()
    wheels = tmp_path / "dists"
    app = build_wheel(wheels, "pg-app", "1.0", requires_dist=["pg-lib"])
    lib = build_wheel(wheels, "pg-lib", "2.0")
    with temporary_database() as url, live_server(tmp_path / "data", database_url=url) as server:
        with server.client() as admin:
            rest.create_feed(admin, "acme/libs")
            for path in (app, lib):
                response = admin.post(
                    "/acme/_packaging/libs/pypi/upload/",
                    data={":action": "file_upload", "protocol_version": "1"},
                    files={"content": (path.name, path.read_bytes())},
                )
                assert response.status_code == 200, response.text
        venv = make_venv(tmp_path / "venv", with_pip=False)
        index = server.index_url("acme/libs", server.admin_token)
        venv.uv_pip("install", "pg-app", env=client_env({"UV_INDEX_URL": index}))
        assert venv.installed() == {"pg-app": "1.0", "pg-lib": "2.0"}
