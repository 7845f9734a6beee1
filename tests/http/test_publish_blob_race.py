"""A purge never deletes a blob that an upload of the same bytes is storing (issue 11, item 1).

Blobs are content-addressed and shared between feeds. Each round publishes a wheel to feed
``a`` and moves it to the recycle bin, then purges it while the same file is published to
feed ``b``: every upload that answered 200 must download with the right hash. Before blob
claims, 30 of 40 rounds lost the file on SQLite. On SQLite and PostgreSQL, with the
filesystem store and with S3 (moto on loopback).
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, event, update
from sqlalchemy.util import await_only

from quiver.services.packages.models import BlobClaim, File
from quiver.services.recycle.claims import claim_blobs, delete_if_unused
from quiver.settings import Settings
from tests.http.publishing import context_of, make_feed, upload
from tests.http.rest_support import ok
from tests.support.dists import build_wheel
from tests.support.s3 import S3Server

ROUNDS = 25
FEEDS = "/acme/_apis/packaging/feeds"


@pytest.fixture(params=["filesystem", "s3"])
def settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    if request.param == "filesystem":
        return settings
    s3: S3Server = request.getfixturevalue("s3")
    return settings.model_copy(
        update={"storage_url": f"s3://{s3.create_bucket()}/", "s3_endpoint_url": s3.endpoint_url}
    )


async def _round(api: httpx.AsyncClient, tmp_path: Path, n: int) -> tuple[int, Path]:
    wheel = build_wheel(tmp_path / str(n), "shared", f"1.{n}")
    assert (await upload(api, "acme/a", wheel)).status_code == 200
    await ok(api.delete(f"{FEEDS}/a/packages/shared/versions/1.{n}"))
    purge = api.delete(f"{FEEDS}/a/recycle-bin/shared/1.{n}")
    published, purged = await asyncio.gather(upload(api, "acme/b", wheel), purge)
    assert purged.status_code == 200, purged.text
    return published.status_code, wheel


async def test_purge_racing_an_upload_of_the_same_bytes_loses_nothing(
    api: httpx.AsyncClient, tmp_path: Path
) -> None:
    await make_feed(api, "acme/a")
    await make_feed(api, "acme/b")
    for n in range(ROUNDS):
        status, wheel = await _round(api, tmp_path, n)
        assert status == 200
        got = await api.get(f"/acme/_packaging/b/pypi/simple/shared/{wheel.name}")
        if got.status_code == 307:
            got = httpx.get(got.headers["location"])
        assert got.status_code == 200, f"round {n}: {got.status_code} {got.text[:200]}"
        assert hashlib.sha256(got.content).digest() == hashlib.sha256(wheel.read_bytes()).digest()
    # Every claim was released with its row.
    async with context_of(api).sessions() as session:
        assert (await session.scalars(BlobClaim.__table__.select())).all() == []


async def test_a_deleter_sees_a_writer_recording_its_row_either_before_or_after(
    api: httpx.AsyncClient, tmp_path: Path, database_url: str
) -> None:
    """The writer's commit (its row in, its claim out) lands between the deleter's reads.

    The deleter asks "does a row or a live claim need this key?" If it asked in two
    statements, READ COMMITTED would show it the claim gone and the row not there yet, and
    it would delete a blob the new row needs. The commit here is made to land right after
    the deleter's first read of ``files``.
    """
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite: the deleter holds the write lock, so no commit can land between")
    await make_feed(api, "acme/a")
    published = await upload(api, "acme/a", build_wheel(tmp_path, "shared", "1.0"))
    assert published.status_code == 200
    ctx = context_of(api)
    key = "race/shared-1.0-py3-none-any.whl"
    await ctx.blobs.put_bytes(key, b"the bytes a new row needs")
    claims = await claim_blobs(ctx.engine, [key])
    writer = await ctx.engine.connect()
    await writer.begin()
    # The recording transaction: a row now names the key and the claim goes, not committed.
    await writer.execute(update(File).values(blob_key=key))
    await writer.execute(delete(BlobClaim).where(BlobClaim.id.in_(claims)))
    committed: list[str] = []

    def commit_after_first_read(*args: object) -> None:
        statement = str(args[2])
        if (
            not committed
            and statement.lstrip().upper().startswith("SELECT")
            and "files" in statement
        ):
            await_only(writer.commit())
            committed.append(statement)

    event.listen(ctx.engine.sync_engine, "after_cursor_execute", commit_after_first_read)
    try:
        deleted = await delete_if_unused(ctx.engine, ctx.blobs, key)
    finally:
        event.remove(ctx.engine.sync_engine, "after_cursor_execute", commit_after_first_read)
        await writer.close()
    assert committed, "the deleter never read the files table"
    assert not deleted
    assert await ctx.blobs.stat(key) is not None
