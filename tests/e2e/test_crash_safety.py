"""A server killed with SIGKILL mid-upload, next to one that keeps serving; then fsck.

Two ``quiver serve`` processes share one PostgreSQL database and one blob directory. An
upload to the first is streamed slowly and the process is killed in the middle of the body:
the other serves on, no row and no blob exist for the file, and the only trace is the partial
temporary file in the dead server's ``data/tmp``, which its restart removes. Then an orphan
blob and a row whose blob was deleted: ``quiver admin fsck`` reports both, and ``--repair``
removes the orphan and still reports the row.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from quiver.blobs import blob_key
from tests.support import rest
from tests.support.cli import Result, run_quiver, without_quiver_settings
from tests.support.dists import build_wheel
from tests.support.postgres import require_postgres, temporary_database
from tests.support.server import live_server
from tests.support.uploads import upload_until_killed
from tests.support.venvs import client_env, make_venv

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
FEED = "acme/libs"


def fsck(env: dict[str, str], *args: str) -> Result:
    return run_quiver(["admin", "fsck", "--json", *args], env)


def test_a_server_killed_mid_upload_leaves_nothing_visible(tmp_path: Path) -> None:
    require_postgres()
    blobs = tmp_path / "blobs"
    shared = {"QUIVER_STORAGE_URL": blobs.as_uri()}
    small = build_wheel(tmp_path / "dists", "steady", "1.0")
    with temporary_database() as url:
        settings_a = {
            **without_quiver_settings(),
            **shared,
            "QUIVER_DATA_DIR": str(tmp_path / "a" / "data"),
            "QUIVER_DATABASE_URL": url,
        }
        with live_server(tmp_path / "b" / "data", database_url=url, env=shared) as steady:
            with steady.client() as admin:
                rest.create_feed(admin, FEED)
                answer = admin.post(
                    steady.upload_url(FEED),
                    data={":action": "file_upload", "protocol_version": "1"},
                    files={"content": (small.name, small.read_bytes())},
                )
                assert answer.status_code == 200, answer.text
            with live_server(tmp_path / "a" / "data", database_url=url, env=shared) as doomed:
                tmp_dir = doomed.data_dir / "tmp"
                upload_until_killed(doomed, FEED, "doomed-1.0-py3-none-any.whl")
                assert doomed.process.returncode == -signal.SIGKILL

            # the other server serves on; nothing of the upload is visible anywhere
            venv = make_venv(tmp_path / "venv")
            index = steady.index_url(FEED, steady.admin_token)
            venv.pip("install", "steady", env=client_env({"PIP_INDEX_URL": index}))
            assert venv.installed() == {"steady": "1.0"}
            with steady.client() as admin:
                page = admin.get(steady.index_url(FEED) + "doomed/")
                assert page.status_code == 404
            assert [path for path in blobs.rglob("*") if "doomed" in path.name] == []

            # its partial file is in the dead server's data/tmp, which nobody uses now
            (partial,) = tmp_dir.glob("upload-*")
            report = fsck(settings_a)
            assert report.code == 1, report
            (leftover,) = report.json()["leftovers"]
            assert (leftover["kind"], leftover["path"]) == ("temporary file", str(partial))
            assert leftover["removable"] and report.json()["missing"] == []

            # restarted, the server removes it; fsck finds nothing more
            with live_server(tmp_path / "a" / "data", database_url=url, env=shared):
                assert not partial.exists()
                clean = fsck(settings_a)
                assert clean.code == 0, clean
                assert clean.json()["leftovers"] == [] and clean.json()["blobs"] == 2

                # an orphan blob and a row whose blob is gone
                orphan = blobs / blob_key("ab" * 32, "lost-1.0.tar.gz")
                orphan.parent.mkdir(parents=True)
                orphan.write_bytes(b"no row needs me")
                (wheel,) = blobs.rglob(small.name)
                wheel.unlink()
                found = fsck(settings_a, "--grace", "0")
                assert found.code == 1
                assert [item["path"] for item in found.json()["leftovers"]] == [
                    blob_key("ab" * 32, "lost-1.0.tar.gz")
                ]
                (missing,) = found.json()["missing"]
                assert missing["feed"] == FEED and missing["filename"] == small.name
                assert (missing["package"], missing["version"], missing["part"]) == (
                    "steady",
                    "1.0",
                    "file",
                )
                repaired = fsck(settings_a, "--repair", "--grace", "0")
                assert repaired.code == 1
                assert [item["removed"] for item in repaired.json()["leftovers"]] == [True]
                assert not orphan.exists()
                assert len(repaired.json()["missing"]) == 1
                human = run_quiver(["admin", "fsck"], settings_a)
                assert human.code == 1
                assert "steady" in human.out and "row(s) need blobs that are missing" in human.err
