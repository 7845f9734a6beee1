"""Several live server processes on one database: coherent caches, one admin, ``--workers``.

The servers keep access cache entries for 60 seconds here, so a change through
one server seen on another within a second can only have come through the
coherence mechanism (PostgreSQL LISTEN/NOTIFY, or the SQLite data-version
watch of ``--workers``), not through an entry that expired.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from tests.http.publishing import form_for
from tests.support import rest
from tests.support.cli import run_quiver, without_quiver_settings
from tests.support.dists import build_wheel
from tests.support.postgres import fetch as sql
from tests.support.postgres import require_postgres, temporary_database
from tests.support.server import LiveServer, live_server, live_servers

pytestmark = [pytest.mark.e2e]
LONG_CACHE = {"QUIVER_ACCESS_CACHE_SECONDS": "60"}
JSON_V1 = "application/vnd.pypi.simple.v1+json"
LINK = "quiver coherence"  # the listener's application_name
Cluster = tuple[str, LiveServer, LiveServer]
# the links of the servers on the database the query runs in (not those of other tests)
LINKS = (
    "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()"
)
KILL_LINKS = (
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
    " WHERE application_name = $1 AND datname = current_database()"
)


def eventually(what: str, check: Callable[[], bool], within: float = 1.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {within:g}s")
        time.sleep(0.02)


def publish(client: httpx.Client, feed: str, path: Path) -> None:
    *scope, name = feed.split("/")
    data = path.read_bytes()
    response = client.post(
        f"/{'/'.join(scope)}/_packaging/{name}/pypi/upload/",
        data=form_for(path, data),
        files={"content": (path.name, data, "application/octet-stream")},
    )
    assert response.status_code == 200, response.text


def page(feed: str, package: str) -> str:
    *scope, name = feed.split("/")
    return f"/{'/'.join(scope)}/_packaging/{name}/pypi/simple/{package}/"


def versions(client: httpx.Client, feed: str, package: str) -> list[str]:
    response = client.get(page(feed, package), headers={"Accept": JSON_V1})
    assert response.status_code == 200, response.text
    return sorted(response.json()["versions"])


# Two servers on one PostgreSQL database --------------------------------------------------


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Servers A and B on one temporary PostgreSQL database (blobs in one shared directory)."""
    require_postgres()
    data = tmp_path_factory.mktemp("cluster") / "data"
    with temporary_database() as url, ExitStack() as stack:
        first = stack.enter_context(live_server(data, database_url=url, env=LONG_CACHE))
        second = stack.enter_context(live_server(data, database_url=url, env=LONG_CACHE))
        with first.client() as admin:
            rest.ensure_org(admin, "acme")
        yield url, first, second


@pytest.mark.postgres
def test_a_publish_through_one_server_is_on_the_others_pages_within_a_second(
    cluster: Cluster, tmp_path: Path
) -> None:
    _url, first, second = cluster
    with first.client() as a, second.client() as b:
        rest.create_feed(a, "acme/pub")
        publish(a, "acme/pub", build_wheel(tmp_path, "coho", "1.0"))
        assert versions(b, "acme/pub", "coho") == ["1.0"]  # now cached on B
        publish(a, "acme/pub", build_wheel(tmp_path, "coho", "2.0"))
        eventually("2.0 on B", lambda: versions(b, "acme/pub", "coho") == ["1.0", "2.0"])


@pytest.mark.postgres
def test_a_token_revoked_through_one_server_is_refused_by_the_other(
    cluster: Cluster,
) -> None:
    _url, first, second = cluster
    with first.client() as a:
        created = a.post("/_apis/tokens", json={"name": "short", "scope": "packaging:read"})
        assert created.status_code == 201, created.text
        token_id, secret = created.json()["id"], created.json()["token"]
        with second.client(secret) as holder:
            assert holder.get("/_apis/users/me").status_code == 200  # cached on B
            assert a.delete(f"/_apis/tokens/{token_id}").status_code == 204
            eventually("401 on B", lambda: holder.get("/_apis/users/me").status_code == 401)


@pytest.mark.postgres
def test_a_feed_deleted_through_one_server_is_gone_on_the_other(
    cluster: Cluster, tmp_path: Path
) -> None:
    _url, first, second = cluster
    with first.client() as a, second.client() as b:
        rest.create_feed(a, "acme/doomed")
        publish(a, "acme/doomed", build_wheel(tmp_path, "coho", "1.0"))
        assert versions(b, "acme/doomed", "coho") == ["1.0"]
        deleted = a.delete("/acme/_apis/packaging/feeds/doomed")
        assert deleted.status_code == 200, deleted.text
        eventually("410 on B", lambda: b.get(page("acme/doomed", "coho")).status_code == 410)


@pytest.mark.postgres
def test_the_listener_reconnects_after_its_connection_is_killed(
    cluster: Cluster, tmp_path: Path
) -> None:
    url, first, second = cluster

    def links() -> set[int]:
        return {row["pid"] for row in sql(url, LINKS, LINK)}

    before = links()
    assert len(before) == 2  # one per server
    with first.client() as a, second.client() as b:
        rest.create_feed(a, "acme/relink")
        publish(a, "acme/relink", build_wheel(tmp_path, "coho", "1.0"))
        assert versions(b, "acme/relink", "coho") == ["1.0"]

        killed = sql(url, KILL_LINKS, LINK)
        assert len(killed) == 2
        # Published while the links are down: B hears of it when its link is back
        # (it drops its caches on reconnecting), not from a cache entry expiring.
        publish(a, "acme/relink", build_wheel(tmp_path, "coho", "2.0"))
        eventually("2.0 on B", lambda: versions(b, "acme/relink", "coho") == ["1.0", "2.0"], 5)

        eventually("both links back", lambda: len(links() - before) == 2, 10)
        publish(a, "acme/relink", build_wheel(tmp_path, "coho", "3.0"))
        eventually("3.0 on B", lambda: versions(b, "acme/relink", "coho")[-1] == "3.0")


# Starting together on an empty database -------------------------------------------------


@pytest.mark.postgres
def test_processes_starting_at_once_on_an_empty_database_make_one_admin(tmp_path: Path) -> None:
    require_postgres()
    dirs = [tmp_path / f"host{n}" / "data" for n in range(3)]
    own_token = {"QUIVER_ADMIN_TOKEN": ""}  # each would create and print its own
    with temporary_database() as url, live_servers(dirs, database_url=url, env=own_token) as all_:
        users = sql(url, "SELECT username, is_admin FROM users")
        assert [tuple(row) for row in users] == [("admin", True)]
        written = [d / "initial-admin-token" for d in dirs if (d / "initial-admin-token").exists()]
        assert len(written) == 1
        token = written[0].read_text().strip()
        for server in all_:
            with server.client(token) as admin:
                assert admin.get("/_apis/users/me").status_code == 200, server.log()
        assert sum(token in server.log() for server in all_) == 1


# quiver serve --workers N -----------------------------------------------------------------


def children(pid: int) -> list[str]:
    """The command lines of the processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            found.append(f"{entry.name} {cmdline}")
    return found


def serving_sockets(pid: int, port: int) -> int:
    """How many established connections to ``port`` process ``pid`` holds."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with_target = re.fullmatch(r"socket:\[(\d+)\]", os.readlink(fd))
        if with_target:
            inodes.add(with_target.group(1))
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rpartition(":")[2], 16)
            if local_port == port and fields[3] == "01" and fields[9] in inodes:
                count += 1
    return count


def test_serve_workers_runs_that_many_processes_that_all_serve(tmp_path: Path) -> None:
    env = {**LONG_CACHE, "QUIVER_LOG_LEVEL": "info"}
    with live_server(tmp_path / "data", env=env, args=["--workers", "2"]) as server:
        # The first worker up answers the readiness check; wait for the second too.
        started = "Application startup complete"
        eventually("both workers up", lambda: server.log().count(started) == 2, 60)
        workers = [line for line in children(server.process.pid) if "spawn_main" in line]
        assert len(workers) == 2, children(server.process.pid)
        pids = [int(line.split()[0]) for line in workers]
        port = int(server.url.rpartition(":")[2])
        with ExitStack() as stack:
            clients: list[httpx.Client] = []
            # Keep-alive connections, each answered by the worker that accepted it.
            while len(clients) < 64 and not all(serving_sockets(p, port) for p in pids):
                client = stack.enter_context(server.client())
                assert client.get("/_apis/users/me").status_code == 200
                clients.append(client)
            assert all(serving_sockets(p, port) for p in pids), "one worker answered everything"

            rest.create_feed(clients[0], "acme/libs")
            publish(clients[0], "acme/libs", build_wheel(tmp_path, "coho", "1.0"))
            for client in clients:
                assert versions(client, "acme/libs", "coho") == ["1.0"]
            publish(clients[0], "acme/libs", build_wheel(tmp_path, "coho", "2.0"))

            def everywhere() -> bool:
                return all(versions(c, "acme/libs", "coho") == ["1.0", "2.0"] for c in clients)

            eventually("2.0 on every worker", everywhere)


@pytest.mark.parametrize("count", ["0", "65", "many"])
def test_serve_refuses_a_bad_worker_count(count: str, tmp_path: Path) -> None:
    env = {**without_quiver_settings(), "QUIVER_DATA_DIR": str(tmp_path)}
    result = run_quiver(["serve", "--workers", count], env, timeout=30)
    assert result.code == 2
    assert "--workers" in result.err
    assert "Traceback" not in result.err
