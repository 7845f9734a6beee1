"""Files for the server's user only: the helpers and the start-time check (issue 11 #10)."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from quiver.db.engine import sqlite_path
from quiver.privatefs import (
    create_private_file,
    make_private,
    open_private,
    private_dirs,
    write_private,
)
from quiver.services.maintenance.datadir import prepare_data_dir
from quiver.settings import Settings


@pytest.fixture(autouse=True)
def umask_022() -> Iterator[None]:
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_private_dirs_makes_every_missing_level_0700(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir(mode=0o755)
    private_dirs(tmp_path / "a" / "b" / "c")
    assert mode(tmp_path / "a") == 0o755  # there already: left alone
    assert mode(tmp_path / "a" / "b") == mode(tmp_path / "a" / "b" / "c") == 0o700
    private_dirs(tmp_path / "a" / "b" / "c")  # again: nothing to do


def test_private_files(tmp_path: Path) -> None:
    old = tmp_path / "old"
    old.write_bytes(b"readable")
    old.chmod(0o644)
    with open_private(old) as handle:
        handle.write(b"new")
    assert (old.read_bytes(), mode(old)) == (b"new", 0o600)
    write_private(tmp_path / "new", b"x")
    assert mode(tmp_path / "new") == 0o600
    create_private_file(tmp_path / "db")
    assert (mode(tmp_path / "db"), (tmp_path / "db").read_bytes()) == (0o600, b"")
    old.chmod(0o644)
    create_private_file(old)  # an existing file is not touched
    assert (old.read_bytes(), mode(old)) == (b"new", 0o644)
    create_private_file(tmp_path / "missing" / "db")  # no directory: SQLite will say so


def test_make_private_narrows_and_skips_links(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True, mode=0o755)
    root.chmod(0o755)
    (root / "sub" / "file").write_bytes(b"x")
    (root / "sub" / "script").write_bytes(b"x")
    (root / "sub" / "script").chmod(0o775)
    outside = tmp_path / "outside"
    outside.write_bytes(b"x")
    outside.chmod(0o644)
    (root / "link").symlink_to(outside)
    changed, failed = make_private(root)
    assert sorted(p.relative_to(root).as_posix() for p in changed) == [
        ".",
        "sub",
        "sub/file",
        "sub/script",
    ]
    assert failed == []
    assert (mode(root), mode(root / "sub"), mode(root / "sub" / "file")) == (0o700, 0o700, 0o600)
    assert mode(root / "sub" / "script") == 0o700  # owner bits are kept
    assert mode(outside) == 0o644  # a link is not followed
    assert make_private(root) == ([], [])
    assert make_private(tmp_path / "nothing") == ([], [])


def test_sqlite_path() -> None:
    assert sqlite_path("sqlite+aiosqlite:////srv/q/quiver.db") == Path("/srv/q/quiver.db")
    assert sqlite_path("sqlite+aiosqlite:///relative.db") == Path("relative.db")
    assert sqlite_path("sqlite+aiosqlite://") is None
    assert sqlite_path("sqlite+aiosqlite:///:memory:") is None
    assert sqlite_path("sqlite+aiosqlite:///file:x.db?mode=ro&uri=true") is None
    assert sqlite_path("postgresql+asyncpg://u@h/quiver") is None


def test_prepare_data_dir(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    data = tmp_path / "data"
    (data / "blobs" / "ab").mkdir(parents=True)
    (data / "blobs" / "ab" / "blob").write_bytes(b"x")
    (data / "notes.txt").write_bytes(b"not Quiver's")
    elsewhere = tmp_path / "db"
    elsewhere.mkdir()
    for name in ("quiver.db", "quiver.db-wal", "other.db"):
        (elsewhere / name).write_bytes(b"")
    settings = Settings(
        data_dir=data, database_url=f"sqlite:///{elsewhere / 'quiver.db'}", storage_url=None
    )
    with caplog.at_level(logging.WARNING, logger="quiver"):
        changed = prepare_data_dir(settings)
    assert len(changed) == 6  # data, blobs, ab, the blob, quiver.db, quiver.db-wal
    (line,) = [r.getMessage() for r in caplog.records if "readable by other" in r.getMessage()]
    assert "Made 6 files and directories" in line
    assert mode(data) == mode(data / "blobs" / "ab") == 0o700
    assert mode(data / "blobs" / "ab" / "blob") == mode(elsewhere / "quiver.db-wal") == 0o600
    assert mode(data / "notes.txt") == mode(elsewhere / "other.db") == 0o644  # not Quiver's
    caplog.clear()
    assert prepare_data_dir(settings) == []
    assert caplog.records == []


def test_prepare_data_dir_creates_it_private(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "new" / "data", database_url="postgresql://x/y")
    assert prepare_data_dir(settings) == []
    assert mode(tmp_path / "new") == mode(tmp_path / "new" / "data") == 0o700
