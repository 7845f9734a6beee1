"""Deleting a shared blob without losing a file someone is storing at the same moment.

Blobs are content-addressed and shared between feeds, so deleting one (a purge, a failed
upload, ``quiver admin fsck``) races with a writer storing the same bytes elsewhere: the
writer puts the blob, the deleter sees no row yet and deletes it, the writer commits a row
for a blob that is gone. Two rules close the race:

* A writer **claims** the key (a committed ``blob_claims`` row) *before* it puts the blob,
  and removes the claim in the transaction that records its file row — so at every moment a
  key being stored has a claim or a row.
* A deleter decides and deletes **under a per-key lock** that claiming also takes (a
  PostgreSQL advisory transaction lock; on SQLite, the database's write lock, taken by the
  first statement, which writes): it deletes only a key with neither a row nor a live claim,
  and deletes the blob before it lets go of the lock.

So either the claim commits first and the deleter sees it, or the deletion finishes first
and the writer's put comes after it. A claim left by a writer that died expires after
``CLAIM_TTL``; until then its blob is merely kept, never lost.

It lives with the recycle bin, whose purges delete blobs; writers (``services.publish``,
saves from upstreams) and ``fsck`` reach it through ``quiver.services.recycle.service``.
Claims are bookkeeping, not a change anyone sees: they are written in plain transactions,
not a unit of work (no feed event, no cache to drop).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from quiver.blobs import BlobStore
from quiver.db.base import utcnow
from quiver.services.packages.models import BlobClaim, File

# Far longer than any upload can take between its claim and its row (uploads time out).
CLAIM_TTL = timedelta(hours=24)
BLOB_LOCK = 727270011


async def claim_blobs(engine: AsyncEngine, keys: Iterable[str | None]) -> tuple[int, ...]:
    """Claim ``keys`` before putting their blobs; returns the claim ids (committed)."""
    wanted = sorted({key for key in keys if key})
    if not wanted:
        return ()
    expires = utcnow() + CLAIM_TTL
    ids: list[int] = []
    # Bookkeeping, not a unit of work: a claim changes neither access nor what a feed shows.
    async with engine.begin() as connection:
        for key in wanted:
            await _lock(connection, key)
            claim = insert(BlobClaim).values(blob_key=key, expires_at=expires)
            result = await connection.execute(claim.returning(BlobClaim.id))
            ids.append(result.scalar_one())
    return tuple(ids)


async def release_claims(session: AsyncSession, claims: Sequence[int]) -> None:
    """Remove ``claims`` in the caller's transaction (the one that records the rows)."""
    if claims:
        await session.execute(delete(BlobClaim).where(BlobClaim.id.in_(claims)))


async def forget_blobs(
    engine: AsyncEngine, blobs: BlobStore, keys: Iterable[str | None], claims: Sequence[int] = ()
) -> None:
    """Drop ``claims``, then delete each of ``keys`` that no row and no live claim needs."""
    if claims:
        async with engine.begin() as connection:
            await connection.execute(delete(BlobClaim).where(BlobClaim.id.in_(claims)))
    for key in sorted({key for key in keys if key}):
        await delete_if_unused(engine, blobs, key)


async def delete_if_unused(
    engine: AsyncEngine, blobs: BlobStore, key: str, written_before: datetime | None = None
) -> bool:
    """Delete the blob ``key`` if no file row and no live claim needs it; True if it is gone.

    ``written_before``: also keep a blob written at or after that time (fsck's grace).
    """
    async with engine.begin() as connection:
        now = utcnow()
        # The first statement writes: on SQLite it takes the write lock claimers also need.
        await connection.execute(delete(BlobClaim).where(BlobClaim.expires_at < now))
        await _lock(connection, key)
        if await _needed(connection, key, now):
            return False
        if written_before is not None:
            info = await blobs.stat(key)
            if info is None:
                return True
            if info.modified >= written_before:
                return False
        await blobs.delete(key)
    return True


async def _needed(connection: AsyncConnection, key: str, now: datetime) -> bool:
    """Whether a file row or a live claim needs ``key``, asked in ONE statement.

    A writer's recording transaction inserts its row and drops its claim at once; two
    separate queries (rows, then claims) under READ COMMITTED could see neither, one on
    each side of that commit, and delete a blob the new row needs.
    """
    row = select(File.id).where(or_(File.blob_key == key, File.metadata_blob_key == key))
    claim = select(BlobClaim.id).where(BlobClaim.blob_key == key, BlobClaim.expires_at >= now)
    needed = await connection.scalar(select(or_(exists(row), exists(claim))))
    return bool(needed)


async def _lock(connection: AsyncConnection, key: str) -> None:
    """The per-key lock on PostgreSQL (SQLite serialises writers already)."""
    if connection.dialect.name == "postgresql":
        await connection.execute(select(func.pg_advisory_xact_lock(BLOB_LOCK, func.hashtext(key))))


__all__ = ["CLAIM_TTL", "claim_blobs", "delete_if_unused", "forget_blobs", "release_claims"]
