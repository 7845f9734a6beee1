"""The scheduled lifecycle job with two server processes on one PostgreSQL database.

Both servers wake every second; the job's lease lets one run at a time, so a
retention policy deletes its version exactly once, and the runs (each logs its
start and end) never overlap. A ``pip download`` through one server is counted
and shows in the other's REST API once the download buffer is flushed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime
from itertools import pairwise
from pathlib import Path

import pytest

from tests.http.publishing import form_for
from tests.support import rest
from tests.support.dists import build_wheel
from tests.support.postgres import fetch, require_postgres, temporary_database
from tests.support.server import LiveServer, live_server
from tests.support.venvs import client_env, make_venv

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
FEED = "acme/libs"
FEED_API = "/acme/_apis/packaging/feeds/libs"
JOBS = {"QUIVER_JOBS_INTERVAL_SECONDS": "1", "QUIVER_LOG_LEVEL": "info"}
RUN_LINE = re.compile(r"lifecycle job from (\S+) to (\S+) \(")


def wait_for(what: str, check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.25)


def publish(server: LiveServer, *paths: Path) -> None:
    with server.client() as client:
        for path in paths:
            data = path.read_bytes()
            response = client.post(
                server.upload_url(FEED),
                data=form_for(path, data),
                files={"content": (path.name, data, "application/octet-stream")},
            )
            assert response.status_code == 200, response.text


def downloads(server: LiveServer) -> dict[str, int]:
    with server.client() as client:
        response = client.get(FEED_API + "/packages/keep-me/versions")
    assert response.status_code == 200, response.text
    return {v["version"]: v["download_count"] for v in response.json()["versions"]}


def index_versions(server: LiveServer) -> list[str]:
    with server.client() as client:
        response = client.get(
            "/acme/_packaging/libs/pypi/simple/keep-me/",
            headers={"Accept": "application/vnd.pypi.simple.v1+json"},
        )
    assert response.status_code == 200, response.text
    return sorted(response.json()["versions"])


def runs_logged(*servers: LiveServer) -> list[tuple[datetime, datetime]]:
    found = [
        (datetime.fromisoformat(start), datetime.fromisoformat(end))
        for server in servers
        for start, end in RUN_LINE.findall(server.log())
    ]
    return sorted(found)


def test_lifecycle_job_runs_once_at_a_time_across_two_servers(tmp_path: Path) -> None:
    require_postgres()
    wheels = [build_wheel(tmp_path / "dists", "keep-me", v) for v in ("1.0", "2.0", "3.0")]
    data = tmp_path / "data"  # shared, so both servers have the blobs
    with temporary_database() as url:
        with (
            live_server(data, database_url=url, env=JOBS) as first,
            live_server(data, database_url=url, env=JOBS) as second,
        ):
            exercise(tmp_path, first, second, wheels)
        # The servers have stopped; the database is still there.
        sql = "SELECT package, version, actor FROM feed_events WHERE kind = 'delete'"
        assert [tuple(row) for row in fetch(url, sql)] == [("keep-me", "1.0", "quiver")]
        (lease,) = fetch(url, "SELECT holder, runs FROM job_leases WHERE name = 'lifecycle'")
    assert lease["holder"] is None
    runs = runs_logged(first, second)
    # A run cut short by the shutdown is counted but not logged.
    assert len(runs) <= lease["runs"] <= len(runs) + 1
    for (_, finished), (started, _) in pairwise(runs):
        assert finished <= started, "two runs overlapped"


def exercise(tmp_path: Path, first: LiveServer, second: LiveServer, wheels: list[Path]) -> None:
    with first.client() as admin:
        rest.create_feed(admin, FEED)
    publish(first, *wheels)

    # A pip download through the second server shows in the first's REST API
    # once the second has flushed its counts (every 5 seconds).
    venv = make_venv(tmp_path / "venv")
    env = client_env({"PIP_INDEX_URL": second.index_url(FEED, second.admin_token)})
    venv.pip("download", "--no-deps", "-d", str(tmp_path / "got"), "keep-me==1.0", env=env)
    wait_for("the download count", lambda: downloads(first)["1.0"] == 1, timeout=15)
    assert downloads(first) == {"1.0": 1, "2.0": 0, "3.0": 0}

    # Keep at most 2 versions: the schedule deletes 1.0 from the index.
    with first.client() as admin:
        response = admin.put(FEED_API + "/retention", json={"max_versions": 2})
        assert response.status_code == 200, response.text
    wait_for("the scheduled retention", lambda: index_versions(second) == ["2.0", "3.0"])
    assert index_versions(first) == ["2.0", "3.0"]
    # Let both servers try the job a few more times.
    wait_for("more runs", lambda: len(runs_logged(first, second)) >= 6)
