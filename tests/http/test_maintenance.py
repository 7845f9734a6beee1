"""fsck, backup and restore through the services, on SQLite and PostgreSQL (filesystem store).

The end-to-end tests (tests/e2e/test_crash_safety.py, test_maintenance_backup.py) run the CLI
against live servers; these check the details: what fsck reports and removes, what a backup
holds, that a restore gives back the same rows, and what both refuse.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, select

from quiver.blobs import FilesystemBlobStore, blob_key
from quiver.cli.commands.maintenance import hint
from quiver.db.engine import make_engine
from quiver.services.context import Context
from quiver.services.maintenance.archive import BackupError, read_manifest
from quiver.services.maintenance.backup import Source, backup
from quiver.services.maintenance.dump import dumped_tables
from quiver.services.maintenance.fsck import Fsck, FsckReport, fsck
from quiver.services.maintenance.restore import Target, restore
from quiver.services.maintenance.snapshot import read_snapshot, snapshot_engine
from quiver.services.packages.models import File
from quiver.services.tokens.service import flush_token_usage
from quiver.settings import Settings
from tests.http.publishing import context_of, make_feed, upload
from tests.support.dists import build_sdist, build_wheel
from tests.support.postgres import require_postgres, temporary_database

FEED = "acme/libs"


@pytest.fixture
async def published(api: httpx.AsyncClient, tmp_path: Path) -> Context:
    """A feed with a wheel (file and METADATA blobs) and an sdist; the app's Context."""
    await make_feed(api, FEED)
    for path in (build_wheel(tmp_path, "demo", "1.0"), build_sdist(tmp_path, "demo", "1.0")):
        assert (await upload(api, FEED, path)).status_code == 200
    ctx = context_of(api)
    # Write the token's last use now: a background flush during a test would change the
    # tokens row between a backup and the comparison with it.
    await flush_token_usage(ctx)
    return ctx


def checker(ctx: Context, grace: float = 0) -> Fsck:
    return Fsck(ctx.engine, ctx.blobs, ctx.settings.tmp_dir, timedelta(seconds=grace))


def kinds(report: FsckReport) -> list[tuple[str, bool, bool]]:
    return [(item.kind, item.removable, item.removed) for item in report.leftovers]


async def file_keys(ctx: Context) -> list[tuple[str, str | None]]:
    async with ctx.sessions() as session:
        rows = await session.execute(select(File.blob_key, File.metadata_blob_key))
        return [(row[0], row[1]) for row in rows]


async def test_fsck_is_clean_after_uploads(published: Context) -> None:
    report = await fsck(checker(published), repair=False)
    assert (report.blobs, report.referenced, report.problems) == (3, 3, 0)
    assert report.leftovers == [] and report.missing == []


async def test_fsck_reports_orphans_and_missing_blobs_and_repairs_what_it_can(
    published: Context,
) -> None:
    orphan = blob_key("0f" * 32, "lost-1.0.tar.gz")
    await published.blobs.put_bytes(orphan, b"no row needs me")
    wheel_key, metadata_key = next(keys for keys in await file_keys(published) if keys[1])
    await published.blobs.delete(wheel_key)

    report = await fsck(checker(published), repair=False)
    assert [(item.kind, item.path) for item in report.leftovers] == [("orphan blob", orphan)]
    assert [(row.feed, row.package, row.version, row.part) for row in report.missing] == [
        ("acme/libs", "demo", "1.0", "file")
    ]
    assert report.missing[0].filename == "demo-1.0-py3-none-any.whl"
    assert report.problems == 2

    # within the grace period the orphan may be an upload in flight: kept, and no problem
    young = await fsck(checker(published, grace=3600), repair=True)
    assert kinds(young) == [("orphan blob", False, False)]
    assert await published.blobs.exists(orphan)
    assert young.problems == 1

    repaired = await fsck(checker(published), repair=True)
    assert kinds(repaired) == [("orphan blob", True, True)]
    assert not await published.blobs.exists(orphan)
    assert metadata_key is not None and await published.blobs.exists(metadata_key)
    assert len(repaired.missing) == 1 and repaired.problems == 1


async def test_fsck_removes_temporary_files_no_live_process_writes(published: Context) -> None:
    # the running app holds a lock file in data/tmp: its files count as in flight while young
    tmp_dir = published.settings.tmp_dir
    partial = tmp_dir / "upload-abc.part"
    partial.write_bytes(b"half an upload")
    report = await fsck(checker(published, grace=3600), repair=True)
    assert kinds(report) == [("temporary file", False, False)]
    hour_ago = time.time() - 3700
    os.utime(partial, (hour_ago, hour_ago))
    report = await fsck(checker(published, grace=3600), repair=True)
    assert kinds(report) == [("temporary file", True, True)]
    assert not partial.exists()
    assert report.problems == 0


async def test_a_snapshot_does_not_see_later_writes(published: Context, settings: Settings) -> None:
    engine = snapshot_engine(settings.resolved_database_url())
    try:
        async with read_snapshot(engine) as connection:
            before = await connection.scalar(select(func.count()).select_from(File))
            async with published.sessions() as session, session.begin():
                await session.execute(delete(File))
            assert await connection.scalar(select(func.count()).select_from(File)) == before == 2
    finally:
        await engine.dispose()


def source_of(ctx: Context) -> Source:
    return Source(ctx.settings.resolved_database_url(), ctx.blobs, "filesystem")


@pytest.fixture
def other_database(settings: Settings, tmp_path: Path) -> Iterator[str]:
    """A second empty database of the same backend (SQLAlchemy URL)."""
    if settings.resolved_database_url().startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{tmp_path / 'restored.db'}"
        return
    with temporary_database() as url:
        yield Settings(database_url=url).resolved_database_url()


async def all_rows(url: str) -> dict[str, list[dict[str, Any]]]:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return {
                table.name: [
                    dict(row)
                    for row in (
                        await connection.execute(select(table).order_by(*table.primary_key.columns))
                    ).mappings()
                ]
                for table in dumped_tables()
            }
    finally:
        await engine.dispose()


async def test_backup_and_restore_give_back_the_same_rows_and_blobs(
    published: Context, other_database: str, tmp_path: Path
) -> None:
    dest = tmp_path / "backup"
    manifest = await backup(source_of(published), dest)
    assert manifest.blobs == 3
    assert {table.name: table.rows for table in manifest.tables}["files"] == 2
    assert read_manifest(dest) == manifest
    assert manifest.source == {"database": published.engine.dialect.name, "storage": "filesystem"}

    store = FilesystemBlobStore(tmp_path / "restored-blobs")
    target = Target(other_database, store, tmp_path / "restored-tmp")
    done = await restore(dest, target)
    assert (done.blobs_copied, done.blobs_present) == (3, 0)
    assert await all_rows(other_database) == await all_rows(
        published.settings.resolved_database_url()
    )
    for blob, metadata in await file_keys(published):
        for key in filter(None, (blob, metadata)):
            original = b"".join([chunk async for chunk in published.blobs.iter_bytes(key)])
            assert b"".join([chunk async for chunk in store.iter_bytes(key)]) == original
    assert (dest / "manifest.json").is_file()  # the backup is left as it was


async def test_restore_refuses_a_database_that_is_not_empty(
    published: Context, tmp_path: Path
) -> None:
    dest = tmp_path / "backup"
    await backup(source_of(published), dest)
    target = Target(
        published.settings.resolved_database_url(),
        FilesystemBlobStore(tmp_path / "other-blobs"),
        tmp_path / "tmp",
    )
    with pytest.raises(BackupError, match=r"The database is not empty .*force the restore") as err:
        await restore(dest, target)
    # The CLI adds the option that does it (the service names no command or option).
    assert hint(err.value) == " To replace everything in it, pass --force."


async def test_a_damaged_backup_is_refused_before_anything_is_written(
    published: Context, other_database: str, tmp_path: Path
) -> None:
    dest = tmp_path / "backup"
    await backup(source_of(published), dest)
    files_dump = next((dest / "database").glob("*-files.jsonl"))
    files_dump.write_text(files_dump.read_text().replace("demo", "evil"))
    target = Target(other_database, FilesystemBlobStore(tmp_path / "b"), tmp_path / "t")
    with pytest.raises(BackupError, match=r"files\.jsonl is missing or damaged"):
        await restore(dest, target)
    assert not (tmp_path / "b").exists() or not any((tmp_path / "b").iterdir())


async def test_a_backup_fails_loudly_when_a_blob_is_missing(
    published: Context, tmp_path: Path
) -> None:
    wheel_key, _ = next(keys for keys in await file_keys(published) if keys[1])
    await published.blobs.delete(wheel_key)
    dest = tmp_path / "backup"
    named = r"demo-1\.0-py3-none-any\.whl \(demo 1\.0 in acme/libs\)"
    with pytest.raises(BackupError, match=named) as err:
        await backup(source_of(published), dest)
    assert hint(err.value) == " Run 'quiver admin fsck' for the full list."
    assert not dest.exists()
    existing = tmp_path / "not-empty"
    existing.mkdir()
    (existing / "x").write_text("x")
    with pytest.raises(BackupError, match="not an empty directory"):
        await backup(source_of(published), existing)


async def test_a_sqlite_backup_restores_into_postgresql(
    api: httpx.AsyncClient, settings: Settings, tmp_path: Path
) -> None:
    if not settings.resolved_database_url().startswith("sqlite"):
        pytest.skip("one direction is enough: from the SQLite run")
    require_postgres()
    await make_feed(api, FEED)
    assert (await upload(api, FEED, build_wheel(tmp_path, "moving", "2.0"))).status_code == 200
    ctx = context_of(api)
    await flush_token_usage(ctx)  # as in ``published``: no background write mid-comparison
    dest = tmp_path / "backup"
    await backup(source_of(ctx), dest)
    with temporary_database() as plain_url:
        url = Settings(database_url=plain_url).resolved_database_url()
        await restore(dest, Target(url, FilesystemBlobStore(tmp_path / "pg-blobs"), tmp_path / "t"))
        assert await all_rows(url) == await all_rows(settings.resolved_database_url())
    lines = (dest / "manifest.json").read_text()
    assert json.loads(lines)["source"]["database"] == "sqlite"


async def test_fsck_leaves_alone_what_is_not_a_blob(published: Context) -> None:
    """A shared bucket or directory may hold other things: they are no orphans."""
    await published.blobs.put_bytes("notes/readme.txt", b"someone else's")
    await published.blobs.put_bytes("ab/cd/not-a-digest/x.whl", b"nor this")
    report = await fsck(checker(published), repair=True)
    assert (report.foreign, report.leftovers, report.problems) == (2, [], 0)
    assert await published.blobs.exists("notes/readme.txt")


def test_a_manifest_of_another_format_says_so(tmp_path: Path) -> None:
    """BackupError is a ValueError: reading a manifest must not rewrap its own refusal."""
    (tmp_path / "manifest.json").write_text('{"format": "something-else"}')
    with pytest.raises(BackupError, match=r"^This is not a Quiver backup"):
        read_manifest(tmp_path)
