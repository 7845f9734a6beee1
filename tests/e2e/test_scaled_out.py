"""The scaled-out set-up of docs/operations/deploy.md in one story: two ``quiver serve``
processes on different ports, sharing nothing but one PostgreSQL database and one S3
bucket (moto's server).

Published through A, installed with pip through B straight away; a retention policy applied by
the scheduled job exactly once while both run; A killed with SIGKILL in the middle of an upload
while B serves a pip install; then backup, wipe (a new empty database and bucket), restore, and
pip install again. Each part is proven in more detail elsewhere (test_many_processes,
test_jobs_scheduled, test_crash_safety, test_maintenance_backup); this is their combination.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support import rest
from tests.support.cli import run_quiver, without_quiver_settings
from tests.support.dists import build_wheel
from tests.support.postgres import fetch, require_postgres, temporary_database
from tests.support.s3 import S3Server
from tests.support.server import LiveServer, live_server, live_servers
from tests.support.uploads import pip_install, twine_upload, upload_until_killed

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
FEED = "acme/libs"
RETENTION = "/acme/_apis/packaging/feeds/libs/retention"
JSON = "application/vnd.pypi.simple.v1+json"
DELETES = "SELECT package, version, actor FROM feed_events WHERE kind = 'delete'"
RUNS = "SELECT runs FROM job_leases WHERE name = 'lifecycle'"


def wait_for(what: str, check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def versions(server: LiveServer, package: str) -> list[str]:
    with server.client() as client:
        answer = client.get(server.index_url(FEED) + f"{package}/", headers={"Accept": JSON})
    assert answer.status_code == 200, answer.text
    return sorted(answer.json()["versions"])


def lifecycle_runs(url: str) -> int:
    rows = fetch(url, RUNS)
    return int(rows[0]["runs"]) if rows else 0


def settings(s3: S3Server, database_url: str, bucket: str) -> dict[str, str]:
    """What every process of one set-up shares: the database and the bucket."""
    return {
        **s3.env(),
        "QUIVER_DATABASE_URL": database_url,
        "QUIVER_STORAGE_URL": f"s3://{bucket}/q",
        "QUIVER_JOBS_INTERVAL_SECONDS": "1",
    }


def admin(env: dict[str, str], data_dir: Path, *args: str) -> str:
    """``quiver admin ARGS`` on a server host: the servers' settings, a data directory."""
    full = {**without_quiver_settings(), **env, "QUIVER_DATA_DIR": str(data_dir)}
    result = run_quiver(["admin", *args], full, timeout=120)
    assert result.code == 0, result
    return result.err


def test_two_servers_on_postgresql_and_s3(tmp_path: Path, s3: S3Server) -> None:
    require_postgres()
    dists = tmp_path / "dists"
    wheels = [build_wheel(dists, "scaled-app", v) for v in ("1.0", "2.0", "3.0")]
    with temporary_database() as url:
        bucket = s3.create_bucket()
        shared = settings(s3, url, bucket)
        dirs = [tmp_path / "a" / "data", tmp_path / "b" / "data"]
        with live_servers(dirs, env=shared) as (a, b):
            publish_through_one_install_through_the_other(tmp_path, a, b, wheels[0])
            job_applies_retention_once(url, a, b, wheels[1:])
            kill_one_mid_upload(tmp_path, a, b, s3, bucket)
            backup = tmp_path / "backup"
            said = admin(shared, tmp_path / "b" / "data", "backup", str(backup))
            assert "and 6 blobs" in said, said  # 3 wheels (1.0 in the recycle bin), .metadata

    # Everything is lost: a new empty database and a new empty bucket.
    with temporary_database() as new_url:
        fresh = settings(s3, new_url, s3.create_bucket())
        said = admin(fresh, tmp_path / "c" / "data", "restore", str(backup))
        assert "6 copied" in said, said
        with live_server(tmp_path / "c" / "data", env=fresh) as c:
            assert versions(c, "scaled-app") == ["2.0", "3.0"]
            installed = pip_install(c, FEED, tmp_path / "venv-c", "scaled-app")
            assert installed == {"scaled-app": "3.0"}


def publish_through_one_install_through_the_other(
    tmp_path: Path, a: LiveServer, b: LiveServer, wheel: Path
) -> None:
    with a.client() as client:
        rest.create_feed(client, FEED)
    twine_upload(a, FEED, wheel)
    assert pip_install(b, FEED, tmp_path / "venv-a", "scaled-app") == {"scaled-app": "1.0"}


def job_applies_retention_once(url: str, a: LiveServer, b: LiveServer, wheels: list[Path]) -> None:
    """Keep 2 versions: with both servers waking every second, 1.0 is deleted once."""
    twine_upload(a, FEED, *wheels)
    with b.client() as client:
        answer = client.put(RETENTION, json={"max_versions": 2})
        assert answer.status_code == 200, answer.text
    wait_for("the scheduled retention", lambda: versions(a, "scaled-app") == ["2.0", "3.0"])
    assert versions(b, "scaled-app") == ["2.0", "3.0"]
    runs = lifecycle_runs(url)
    wait_for("more runs of the job", lambda: lifecycle_runs(url) >= runs + 3)
    assert [tuple(row) for row in fetch(url, DELETES)] == [("scaled-app", "1.0", "quiver")]


def kill_one_mid_upload(
    tmp_path: Path, a: LiveServer, b: LiveServer, s3: S3Server, bucket: str
) -> None:
    """SIGKILL A in the middle of a streamed upload while B serves a pip install: nothing of
    the upload shows on B's pages or in the bucket."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        installing = pool.submit(pip_install, b, FEED, tmp_path / "venv-b", "scaled-app")
        partial = upload_until_killed(a, FEED, "doomed-1.0-py3-none-any.whl")
        assert installing.result() == {"scaled-app": "3.0"}
    assert a.process.returncode is not None and a.process.returncode < 0
    with b.client() as client:
        assert client.get(b.index_url(FEED) + "doomed/").status_code == 404
    assert not [key for key in s3.keys(bucket) if "doomed" in key]
    assert partial.exists()  # only in the dead server's own data/tmp
