"""Upstream sources end to end: real pip, uv, twine and ``quiver`` processes against a
downstream Quiver server whose feed has, as its upstream, a public feed of a second Quiver
server on loopback holding packages the tests build.

The module shares one upstream server (feed ``pub/public``) and one downstream server
(feed ``acme/libs``, upstream ``up``). Each test installs names of its own, so no test
depends on another having run. The test of a stopped upstream starts servers of its own.
"""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.http.publishing import form_for
from tests.support import rest
from tests.support.cli import Cli
from tests.support.dists import build_sdist, build_wheel
from tests.support.server import LiveServer, live_server
from tests.support.venvs import client_env, make_venv, run

pytestmark = pytest.mark.e2e

UP_FEED = "pub/public"
FEED = "acme/libs"
COMBINED = "acme/combined"
JSON = "application/vnd.pypi.simple.v1+json"
TWINE = str(Path(sys.executable).with_name("twine"))
SAVE_REFUSED = (
    f"Only collaborators, contributors and owners of feed {FEED} can save packages from its "
    "upstream sources; ask a feed owner for the collaborator role."
)

#: What the upstream feed holds: (name, version, kind, requirements, module code).
UPSTREAM_DISTS: list[tuple[str, str, str, tuple[str, ...], str | None]] = [
    ("common-lib", "1.0", "wheel", (), None),
    ("common-lib", "2.0", "wheel", (), None),
    ("common-lib", "2.0", "sdist", (), None),
    ("needs-common", "1.0", "wheel", ("common-lib",), None),
    ("uv-pick", "1.0", "wheel", ("uv-dep>=0.5",), None),
    ("uv-dep", "0.5", "wheel", (), None),
    ("uv-save", "1.0", "wheel", ("uv-save-dep",), None),
    ("uv-save-dep", "0.5", "wheel", (), None),
    ("reader-pkg", "1.0", "wheel", (), None),
    ("reader-late", "1.0", "wheel", (), None),
    ("shadow", "9.0", "wheel", (), None),
    ("shadow", "9.0", "sdist", (), None),
    ("never-here", "3.0", "wheel", (), None),
    ("twin-pkg", "1.0", "wheel", (), 'WHERE = "upstream"\n'),
    ("twin-pkg", "2.0", "wheel", (), 'WHERE = "upstream"\n'),
]


@dataclass(frozen=True)
class Feeds:
    """The module's two servers and the downstream feed's users' tokens."""

    up: LiveServer
    down: LiveServer
    collab: str
    reader: str
    owner: str
    dists: Mapping[str, Path]

    def up_page(self, name: str) -> str:
        """The upstream's page URL of ``name``, as the downstream records and shows it."""
        return self.up.index_url(UP_FEED) + f"{name}/"


def build_upstream_dists(out: Path) -> dict[str, Path]:
    """Build :data:`UPSTREAM_DISTS` into ``out``; by filename."""
    built: dict[str, Path] = {}
    for name, version, kind, requires, code in UPSTREAM_DISTS:
        if kind == "wheel":
            path = build_wheel(out, name, version, requires_dist=requires, module_code=code)
        else:
            path = build_sdist(out, name, version, requires_dist=requires, module_code=code)
        built[path.name] = path
    return built


def publish(server: LiveServer, ref: str, token: str | None, *paths: Path) -> None:
    """Upload ``paths`` to feed ``ref`` through its upload API, as twine does."""
    with server.client(token) as http:
        for path in paths:
            response = http.post(
                server.upload_url(ref),
                data=form_for(path),
                files={"content": (path.name, path.read_bytes())},
            )
            assert response.status_code == 200, f"{path.name}: {response.text}"


def setup_upstream(server: LiveServer, dists: Mapping[str, Path]) -> None:
    with server.client() as admin:
        rest.create_feed(admin, UP_FEED, visibility="public")
    publish(server, UP_FEED, None, *dists.values())


def create_downstream_feed(down: LiveServer, up: LiveServer) -> None:
    """``acme/libs`` with upstream ``up`` (the upstream's feed) and collab/reader/owner."""
    with down.client() as admin:
        rest.ensure_org(admin, "acme")
        response = admin.post(
            "/acme/_apis/packaging/feeds",
            json={"name": "libs", "upstreams": [{"name": "up", "url": up.index_url(UP_FEED)}]},
        )
        assert response.status_code == 201, response.text
        for user, role in (("collab", "collaborator"), ("reader", "reader"), ("owner", "owner")):
            rest.create_user(admin, user)
            rest.set_role(admin, FEED, user, role)


def token_for(server: LiveServer, user: str, scope: str) -> str:
    with server.client() as admin:
        return rest.create_token(admin, user, scope)


@contextmanager
def two_servers(
    base: Path, down_env: Mapping[str, str] | None = None
) -> Iterator[tuple[LiveServer, LiveServer]]:
    """An upstream and a downstream server, started at once (each takes seconds to start)."""
    managers = [live_server(base / "up"), live_server(base / "down", env=down_env)]
    with ExitStack() as stack:
        with ThreadPoolExecutor(len(managers)) as pool:
            futures = [pool.submit(manager.__enter__) for manager in managers]
        for manager, future in zip(managers, futures, strict=True):
            if future.exception() is None:
                stack.push(manager.__exit__)
        up, down = (future.result() for future in futures)
        yield up, down


def stop(server: LiveServer) -> None:
    """Stop ``server`` now, as its context would at its end."""
    server.process.send_signal(signal.SIGTERM)
    server.process.wait(timeout=15)


@pytest.fixture(scope="module")
def feeds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Feeds]:
    dists = build_upstream_dists(tmp_path_factory.mktemp("upstream-dists"))
    with two_servers(tmp_path_factory.mktemp("upstreams")) as (up, down):
        setup_upstream(up, dists)
        create_downstream_feed(down, up)
        yield Feeds(
            up=up,
            down=down,
            collab=token_for(down, "collab", "packaging:read"),
            reader=token_for(down, "reader", "packaging:read"),
            owner=token_for(down, "owner", "packaging:manage"),
            dists=dists,
        )


# --- helpers ------------------------------------------------------------------------------------


def pip_env(server: LiveServer, ref: str, token: str) -> dict[str, str]:
    """pip reading only feed ``ref``, with ``token`` in the index URL (not in argv)."""
    return client_env({"PIP_INDEX_URL": server.index_url(ref, token)})


def package_page(
    server: LiveServer, ref: str, token: str, name: str, accept: str = JSON
) -> httpx.Response:
    with server.client(token) as http:
        response = http.get(server.index_url(ref) + f"{name}/", headers={"Accept": accept})
    assert response.status_code == 200, response.text
    return response


def page_json(server: LiveServer, ref: str, token: str, name: str) -> dict[str, Any]:
    document: dict[str, Any] = package_page(server, ref, token, name).json()
    return document


def filenames(page: Mapping[str, Any]) -> list[str]:
    return sorted(file["filename"] for file in page["files"])


def versions(server: LiveServer, ref: str, token: str, name: str) -> dict[str, Any]:
    """``GET .../packages/{name}/versions``: each version's files with their origin."""
    with server.client(token) as http:
        response = http.get(rest.feed_url(ref, f"/packages/{name}/versions"))
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def assert_not_saved(server: LiveServer, ref: str, token: str, name: str) -> None:
    """Feed ``ref`` holds no file of ``name``: nothing published, nothing saved."""
    with server.client(token) as http:
        response = http.get(rest.feed_url(ref, f"/packages/{name}/versions"))
    assert response.status_code == 404, response.text
    assert response.json() == {"message": f"Package {name} is not in feed {ref}."}


def origins(found: Mapping[str, Any]) -> dict[str, tuple[str, str | None]]:
    """``{filename: (origin, upstream name)}`` of a versions answer."""
    return {
        file["filename"]: (file["origin"], file["upstream"])
        for version in found["versions"]
        for file in version["files"]
    }


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def output(result: subprocess.CompletedProcess[str]) -> str:
    return f"{result.stdout}\n{result.stderr}"


# --- tests --------------------------------------------------------------------------------------


def test_collaborator_pip_install_saves_from_the_upstream(feeds: Feeds, tmp_path: Path) -> None:
    started = datetime.now(UTC) - timedelta(seconds=1)
    venv = make_venv(tmp_path / "venv")
    venv.pip("install", "needs-common", env=pip_env(feeds.down, FEED, feeds.collab))
    assert venv.installed() == {"needs-common": "1.0", "common-lib": "2.0"}
    assert venv.run_python("import common_lib; print(common_lib.__version__)").strip() == "2.0"

    # Readers see where each file came from: saved from "up", its URL and when.
    wheel = "common_lib-2.0-py3-none-any.whl"
    found = versions(feeds.down, FEED, feeds.reader, "common-lib")
    assert found["name"] == "common-lib"
    assert found["upstream_behavior"] == "default"
    assert [v["version"] for v in found["versions"]] == ["2.0"]
    (file,) = found["versions"][0]["files"]
    assert file["filename"] == wheel
    assert file["origin"] == "upstream"
    assert file["upstream"] == "up"
    assert file["source_url"] == feeds.up_page("common-lib") + wheel
    assert file["sha256"] == sha256(feeds.dists[wheel])
    saved_at = datetime.fromisoformat(file["saved_at"].replace("Z", "+00:00"))
    assert started <= saved_at <= datetime.now(UTC) + timedelta(seconds=1)
    # Its upload time is the upstream's (when it was published there, before it was saved).
    uploaded_at = datetime.fromisoformat(file["uploaded_at"].replace("Z", "+00:00"))
    assert uploaded_at < saved_at
    assert origins(versions(feeds.down, FEED, feeds.reader, "needs-common")) == {
        "needs_common-1.0-py3-none-any.whl": ("upstream", "up")
    }
    with feeds.down.client(feeds.reader) as http:
        listed = http.get(rest.feed_url(FEED, "/packages")).json()
    counts = {p["name"]: (p["versions"], p["files"], p["saved_files"]) for p in listed}
    assert counts["common-lib"] == (1, 1, 1)
    assert counts["needs-common"] == (1, 1, 1)

    # The same through the CLI, as the reader.
    cli = Cli(feeds.down, tmp_path / "config")
    table = cli.ok("package", "versions", FEED, "common-lib", token=feeds.reader)
    (row,) = [line for line in table.out.splitlines() if wheel in line]
    source = feeds.up_page("common-lib") + wheel
    assert f"saved from up ({source}) at {file['uploaded_at'][:16].replace('T', ' ')}" in row
    assert "upstream behaviour: default" in table.err

    # The package page: the saved copy, and the upstream files not saved (yet).
    page = page_json(feeds.down, FEED, feeds.reader, "common-lib")
    assert filenames(page) == [
        "common_lib-1.0-py3-none-any.whl",
        "common_lib-2.0-py3-none-any.whl",
        "common_lib-2.0.tar.gz",
    ]
    assert page["versions"] == ["1.0", "2.0"]
    assert page["tracks"] == [feeds.up_page("common-lib")]
    assert "alternate-locations" not in page
    html = package_page(feeds.down, FEED, feeds.reader, "common-lib", "text/html").text
    assert f'href="{wheel}#sha256={sha256(feeds.dists[wheel])}"' in html
    assert f'<meta name="pypi:tracks" content="{feeds.up_page("common-lib")}">' in html
    # The saved copy is the feed's own now: a reader downloads it.
    with feeds.down.client(feeds.reader) as http:
        download = http.get(feeds.down.index_url(FEED) + f"common-lib/{wheel}")
    assert download.status_code == 200, download.text
    assert download.content == feeds.dists[wheel].read_bytes()


def test_uv_installs_through_pep_691(feeds: Feeds, tmp_path: Path) -> None:
    venv = make_venv(tmp_path / "venv", with_pip=False)
    env = client_env({"UV_DEFAULT_INDEX": feeds.down.index_url(FEED, feeds.collab)})
    venv.uv_pip("install", "uv-pick", env=env)
    assert venv.installed() == {"uv-pick": "1.0", "uv-dep": "0.5"}
    response = package_page(feeds.down, FEED, feeds.collab, "uv-pick", f"{JSON}, text/html;q=0.1")
    assert response.headers["content-type"].startswith(JSON)
    assert response.json()["tracks"] == [feeds.up_page("uv-pick")]


def test_uv_install_saves_what_it_downloaded(feeds: Feeds, tmp_path: Path) -> None:
    venv = make_venv(tmp_path / "venv", with_pip=False)
    env = client_env({"UV_DEFAULT_INDEX": feeds.down.index_url(FEED, feeds.collab)})
    venv.uv_pip("install", "uv-save", env=env)
    assert venv.installed() == {"uv-save": "1.0", "uv-save-dep": "0.5"}
    deadline = time.monotonic() + 2
    with feeds.down.client(feeds.collab) as http:
        while True:
            found = [
                http.get(rest.feed_url(FEED, f"/packages/{name}/versions"))
                for name in ("uv-save", "uv-save-dep")
            ]
            if all(r.status_code == 200 for r in found) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    assert [r.status_code for r in found] == [200, 200], [r.text for r in found]
    assert origins(found[0].json()) == {"uv_save-1.0-py3-none-any.whl": ("upstream", "up")}
    assert origins(found[1].json()) == {"uv_save_dep-0.5-py3-none-any.whl": ("upstream", "up")}


def test_readers_install_what_was_saved_and_save_only_when_allowed(
    feeds: Feeds, tmp_path: Path
) -> None:
    reader_env = pip_env(feeds.down, FEED, feeds.reader)
    wheel = "reader_pkg-1.0-py3-none-any.whl"
    reader_venv = make_venv(tmp_path / "reader")
    refused = reader_venv.pip("install", "reader-pkg", env=reader_env, check=False)
    assert refused.returncode != 0
    assert "403" in output(refused), output(refused)
    assert "reader-pkg" not in reader_venv.installed()
    with feeds.down.client(feeds.reader) as http:
        direct = http.get(feeds.down.index_url(FEED) + f"reader-pkg/{wheel}")
    assert direct.status_code == 403
    assert direct.json() == {"message": SAVE_REFUSED}
    assert_not_saved(feeds.down, FEED, feeds.reader, "reader-pkg")  # nor by the refusals

    make_venv(tmp_path / "collab").pip(
        "install", "reader-pkg", env=pip_env(feeds.down, FEED, feeds.collab)
    )
    reader_venv.pip("install", "reader-pkg", env=reader_env)
    assert reader_venv.installed() == {"reader-pkg": "1.0"}

    with feeds.down.client(feeds.owner) as http:
        changed = http.patch(rest.feed_url(FEED), json={"readers_can_save": True})
        assert changed.status_code == 200, changed.text
        assert changed.json()["readers_can_save"] is True
        try:
            reader_venv.pip("install", "reader-late", env=reader_env)
        finally:
            http.patch(rest.feed_url(FEED), json={"readers_can_save": False}).raise_for_status()
    assert reader_venv.installed() == {"reader-pkg": "1.0", "reader-late": "1.0"}
    assert origins(versions(feeds.down, FEED, feeds.reader, "reader-late")) == {
        "reader_late-1.0-py3-none-any.whl": ("upstream", "up")
    }


def test_a_published_name_hides_upstream_versions_until_the_owner_allows_them(
    feeds: Feeds, tmp_path: Path
) -> None:
    local = build_wheel(tmp_path / "dists", "shadow", "1.0", module_code='WHERE = "local"\n')
    publish(feeds.down, FEED, feeds.owner, local)
    env = pip_env(feeds.down, FEED, feeds.collab)
    venv = make_venv(tmp_path / "venv")
    venv.pip("install", "shadow", env=env)
    assert venv.installed() == {"shadow": "1.0"}
    page = page_json(feeds.down, FEED, feeds.collab, "shadow")
    assert filenames(page) == ["shadow-1.0-py3-none-any.whl"]
    assert "tracks" not in page
    assert "alternate-locations" not in page

    cli = Cli(feeds.down, tmp_path / "config")
    changed = cli.ok(
        "package", "upstreaming", FEED, "shadow", "allow-external-versions", token=feeds.owner
    )
    assert changed.out == "allow-external-versions\n"
    # shadow 9.0 has a wheel and an sdist upstream: pip saves the wheel, the sdist stays
    # upstream-only, so the page still mixes published and upstream files.
    venv.pip("install", "--upgrade", "shadow", env=env)
    assert venv.installed() == {"shadow": "9.0"}
    assert origins(versions(feeds.down, FEED, feeds.collab, "shadow")) == {
        "shadow-1.0-py3-none-any.whl": ("local", None),
        "shadow-9.0-py3-none-any.whl": ("upstream", "up"),
    }
    page = page_json(feeds.down, FEED, feeds.collab, "shadow")
    assert filenames(page) == [
        "shadow-1.0-py3-none-any.whl",
        "shadow-9.0-py3-none-any.whl",
        "shadow-9.0.tar.gz",
    ]
    assert page["alternate-locations"] == [feeds.up_page("shadow")]
    assert "tracks" not in page
    html = package_page(feeds.down, FEED, feeds.collab, "shadow", "text/html").text
    assert f'<meta name="pypi:alternate-locations" content="{feeds.up_page("shadow")}">' in html

    # A name never published here tracks the upstream's project.
    never = page_json(feeds.down, FEED, feeds.collab, "never-here")
    assert never["tracks"] == [feeds.up_page("never-here")]
    assert "alternate-locations" not in never
    assert filenames(never) == ["never_here-3.0-py3-none-any.whl"]


def test_a_feed_on_the_same_server_as_upstream(feeds: Feeds, tmp_path: Path) -> None:
    with feeds.down.client() as admin:
        created = admin.post(
            "/acme/_apis/packaging/feeds",
            json={"name": "combined", "upstreams": [{"name": "libs", "feed": f"{FEED}@local"}]},
        )
        assert created.status_code == 201, created.text
        rest.set_role(admin, COMBINED, "collab", "collaborator")
        listed = admin.get(rest.feed_url(COMBINED, "/upstreams")).json()
    assert [(u["name"], u["kind"], u["feed"]) for u in listed] == [
        ("libs", "feed", f"{FEED}@local")
    ]
    wheel = build_wheel(tmp_path / "dists", "only-local", "1.0")
    publish(feeds.down, FEED, feeds.owner, wheel)

    venv = make_venv(tmp_path / "venv")
    venv.pip("install", "only-local", env=pip_env(feeds.down, COMBINED, feeds.collab))
    assert venv.installed() == {"only-local": "1.0"}
    found = versions(feeds.down, COMBINED, feeds.collab, "only-local")
    (file,) = found["versions"][0]["files"]
    assert (file["origin"], file["upstream"]) == ("upstream", "libs")
    assert file["source_url"] == f"{FEED}@local/{wheel.name}"
    assert file["sha256"] == sha256(wheel)
    # The source feed is unchanged: the file is still its own, published there.
    assert origins(versions(feeds.down, FEED, feeds.collab, "only-local")) == {
        wheel.name: ("local", None)
    }


def test_twine_publishes_a_filename_the_upstream_has(feeds: Feeds, tmp_path: Path) -> None:
    before = page_json(feeds.down, FEED, feeds.owner, "twin-pkg")
    assert filenames(before) == ["twin_pkg-1.0-py3-none-any.whl", "twin_pkg-2.0-py3-none-any.whl"]
    assert before["tracks"] == [feeds.up_page("twin-pkg")]

    local = build_wheel(tmp_path / "dists", "twin-pkg", "1.0", module_code='WHERE = "local"\n')
    assert local.name == "twin_pkg-1.0-py3-none-any.whl"
    assert sha256(local) != sha256(feeds.dists[local.name])
    env = client_env(
        {"TWINE_USERNAME": "owner", "TWINE_PASSWORD": feeds.owner, "TWINE_NON_INTERACTIVE": "1"}
    )
    uploaded = run(
        [TWINE, "upload", "--disable-progress-bar", "--repository-url",
         feeds.down.upload_url(FEED), str(local)],
        env=env,
    )  # fmt: skip
    assert "error" not in output(uploaded).lower(), output(uploaded)

    after = page_json(feeds.down, FEED, feeds.owner, "twin-pkg")
    assert filenames(after) == [local.name]
    assert after["files"][0]["hashes"] == {"sha256": sha256(local)}
    assert "tracks" not in after
    assert origins(versions(feeds.down, FEED, feeds.owner, "twin-pkg")) == {
        local.name: ("local", None)
    }
    venv = make_venv(tmp_path / "venv")
    venv.pip("install", "twin-pkg", env=pip_env(feeds.down, FEED, feeds.collab))
    assert venv.installed() == {"twin-pkg": "1.0"}
    assert venv.run_python("import twin_pkg; print(twin_pkg.WHERE)").strip() == "local"


def test_a_stopped_upstream(tmp_path: Path) -> None:
    dists = {
        path.name: path
        for path in (
            build_wheel(tmp_path / "dists", "common-lib", "2.0"),
            build_wheel(tmp_path / "dists", "needs-common", "1.0", requires_dist=["common-lib"]),
        )
    }
    fast = {
        "QUIVER_UPSTREAM_TTL_SECONDS": "1",
        "QUIVER_UPSTREAM_NEGATIVE_TTL_SECONDS": "1",
        "QUIVER_UPSTREAM_CONNECT_TIMEOUT": "1",
        "QUIVER_UPSTREAM_READ_TIMEOUT": "2",
        # an expired page waits for its refresh (no background refresh): the failure shows now
        "QUIVER_UPSTREAM_STALE_SECONDS": "0",
    }
    with two_servers(tmp_path, down_env=fast) as (up, down):
        setup_upstream(up, dists)
        create_downstream_feed(down, up)
        collab = token_for(down, "collab", "packaging:read")
        env = client_env({"PIP_INDEX_URL": down.index_url(FEED, collab), "PIP_RETRIES": "0"})
        make_venv(tmp_path / "first").pip("install", "common-lib", env=env)
        cached = page_json(down, FEED, collab, "needs-common")
        assert filenames(cached) == ["needs_common-1.0-py3-none-any.whl"]
        stop(up)
        assert up.process.poll() is not None  # the upstream is gone
        time.sleep(1.5)  # past every TTL

        venv = make_venv(tmp_path / "venv")
        started = time.monotonic()
        venv.pip("install", "common-lib", env=env, timeout=60)
        assert venv.installed() == {"common-lib": "2.0"}

        stale = page_json(down, FEED, collab, "needs-common")
        assert filenames(stale) == ["needs_common-1.0-py3-none-any.whl"]
        assert stale["tracks"] == [up.index_url(UP_FEED) + "needs-common/"]
        assert "fetching needs-common failed, serving the copy from" in down.log()

        failed = venv.pip("install", "needs-common", env=env, check=False, timeout=60)
        assert failed.returncode != 0
        assert "502" in output(failed), output(failed)
        with down.client(collab) as http:
            url_tail = "needs-common/needs_common-1.0-py3-none-any.whl"
            url = down.index_url(FEED) + url_tail
            asked = time.monotonic()
            direct = http.get(url)
            unknown = http.get(down.index_url(FEED) + "never-cached/")
            assert time.monotonic() - asked < 10  # the timeouts are bounded: no hang
        assert direct.status_code == 502, direct.text
        assert direct.json() == {
            "message": f"upstream {up.index_url(UP_FEED)}{url_tail}: could not connect"
        }
        assert unknown.status_code == 404, unknown.text
        assert time.monotonic() - started < 45
        assert "needs-common" not in venv.installed()
        assert origins(versions(down, FEED, collab, "common-lib")) == {
            "common_lib-2.0-py3-none-any.whl": ("upstream", "up")
        }
        assert_not_saved(down, FEED, collab, "needs-common")
