"""Readiness: can this process serve? The database answers and the blob store is reachable.

Each check runs with its own time limit (``ready_timeout_seconds``), both at once. A
failed check says which part failed in a short sentence meant for anyone who can reach
the endpoint (no addresses, paths or credentials); the details go to the log.

* database: ``SELECT 1`` on a pooled connection;
* storage, on a directory: it exists, this process may write to it, and its filesystem
  is not mounted read-only (nothing is written: the check runs often);
* storage, on S3 or another store with a ``check()``: that check (a HEAD of the bucket);
* disk: the filesystems of the data directory (the SQLite database, staged uploads) and
  of a blob directory have at least ``min_free_bytes`` free (QUIVER_MIN_FREE_BYTES).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from sqlalchemy import text

from quiver.blobs import BlobStore, BlobStoreError, FilesystemBlobStore
from quiver.domain.errors import QuiverError
from quiver.services.context import Context
from quiver.services.diskfull import free_bytes

log = logging.getLogger("quiver.health")


class NotReady(QuiverError):
    """A check failed; ``str(err)`` is safe to show to anyone.

    It never leaves this module: ``readiness`` turns it into a failed ``CheckResult``
    (the route answers 503), so it has no status of its own in ``api/errors.py``.
    """


@runtime_checkable
class _Checkable(Protocol):
    async def check(self) -> None: ...


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    ms: float
    message: str | None = None

    def as_json(self) -> dict[str, object]:
        body: dict[str, object] = {"status": "ok" if self.ok else "failed", "ms": self.ms}
        if self.message is not None:
            body["message"] = self.message
        return body


async def check_database(ctx: Context) -> None:
    try:
        async with ctx.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as err:
        log.warning("readiness: the database failed: %s: %s", type(err).__name__, err)
        raise NotReady("the database cannot be reached") from None


async def check_store(store: BlobStore) -> None:
    if isinstance(store, FilesystemBlobStore):
        await asyncio.to_thread(_check_directory, store.root)
        return
    if isinstance(store, _Checkable):
        try:
            await store.check()
        except BlobStoreError as err:
            log.warning("readiness: the blob store failed: %s", err)
            raise NotReady("the blob store cannot be reached") from None


def _check_directory(root: Path) -> None:
    if not root.is_dir():
        log.warning("readiness: the blob directory %s does not exist", root)
        raise NotReady("the blob directory does not exist")
    if not os.access(root, os.W_OK | os.X_OK):
        log.warning("readiness: the blob directory %s is not writable", root)
        raise NotReady("the blob directory is not writable")
    if os.statvfs(root).f_flag & os.ST_RDONLY:
        log.warning("readiness: the blob directory %s is on a read-only filesystem", root)
        raise NotReady("the blob directory is on a read-only filesystem")


def _check_free_space(paths: list[Path], floor: int) -> None:
    for path in paths:
        if not path.exists():
            continue
        free = free_bytes(path)
        if free < floor:
            log.warning("readiness: %s has %d bytes free, below %d", path, free, floor)
            raise NotReady(
                "the data volume is full"
                if free == 0
                else "the data volume is below its free-space floor"
            )


async def check_disk(ctx: Context) -> None:
    paths = [ctx.settings.data_dir, ctx.settings.tmp_dir]
    if isinstance(ctx.blobs, FilesystemBlobStore):
        paths.append(ctx.blobs.root)
    await asyncio.to_thread(_check_free_space, paths, ctx.settings.min_free_bytes)


async def _timed(name: str, check: Callable[[], Awaitable[None]], limit: float) -> CheckResult:
    started = time.perf_counter()

    def elapsed() -> float:
        return round((time.perf_counter() - started) * 1000, 1)

    try:
        async with asyncio.timeout(limit):
            await check()
    except TimeoutError:
        log.warning("readiness: %s did not answer within %ss", name, limit)
        return CheckResult(name, False, elapsed(), f"no answer within {limit:g}s")
    except NotReady as err:
        return CheckResult(name, False, elapsed(), str(err))
    except Exception:
        log.exception("readiness: checking %s failed", name)
        return CheckResult(name, False, elapsed(), "the check failed")
    return CheckResult(name, True, elapsed())


async def readiness(ctx: Context) -> list[CheckResult]:
    """Run every check at once; their results in a fixed order."""
    limit = ctx.settings.ready_timeout_seconds
    results = await asyncio.gather(
        _timed("database", lambda: check_database(ctx), limit),
        _timed("storage", lambda: check_store(ctx.blobs), limit),
        _timed("disk", lambda: check_disk(ctx), limit),
    )
    return list(results)


__all__ = [
    "CheckResult",
    "NotReady",
    "check_database",
    "check_disk",
    "check_store",
    "readiness",
]
