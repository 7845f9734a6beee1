"""The temporary directory at startup: stale uploads go, uploads of live processes stay."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from quiver.services.maintenance import tmpfiles

HOUR = timedelta(hours=1)


@pytest.fixture
def tmp_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "tmp"
    directory.mkdir()
    return directory


def aged(path: Path, seconds: float) -> Path:
    path.write_bytes(b"partial upload")
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def test_alone_a_process_removes_every_temporary_file(tmp_dir: Path) -> None:
    young, old = aged(tmp_dir / "upload-1.part", 5), aged(tmp_dir / "upload-2.part", 7200)
    held, removed = tmpfiles.claim_and_sweep(tmp_dir, HOUR)
    try:
        assert sorted(temp.path for temp in removed) == sorted([young, old])
        assert list(tmp_dir.iterdir()) == []
        assert list(tmpfiles.lock_dir(tmp_dir).iterdir()) == [held.path]
    finally:
        held.release()
    assert list(tmpfiles.lock_dir(tmp_dir).iterdir()) == []


def test_with_another_live_process_only_old_files_go(tmp_dir: Path) -> None:
    other = tmpfiles.claim(tmp_dir)
    young, old = aged(tmp_dir / "upload-1.part", 5), aged(tmp_dir / "upload-2.part", 7200)
    held, removed = tmpfiles.claim_and_sweep(tmp_dir, HOUR)
    try:
        assert [temp.path for temp in removed] == [old]
        assert young.exists() and other.path.exists()
    finally:
        held.release()
        other.release()


def test_lock_files_of_dead_processes_do_not_count(tmp_dir: Path) -> None:
    script = (
        "import os, sys; from pathlib import Path; from quiver.services.maintenance import "
        "tmpfiles; tmpfiles.claim(Path(sys.argv[1])); os._exit(0)"  # dies holding its claim
    )
    subprocess.run([sys.executable, "-c", script, str(tmp_dir)], check=True)
    locks = tmpfiles.lock_dir(tmp_dir)
    assert len(list(locks.glob("process-*.lock"))) == 1
    young = aged(tmp_dir / "upload-1.part", 5)
    assert not tmpfiles.others_alive(tmp_dir)
    assert list(locks.glob("process-*.lock")) == []
    stale, recent = tmpfiles.stale_temp_files(tmp_dir, HOUR)
    assert ([temp.path for temp in stale], recent) == ([young], [])
