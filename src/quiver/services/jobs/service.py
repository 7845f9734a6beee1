"""The scheduled lifecycle job: retention, then the recycle-bin purges.

Every server process wakes every ``jobs_interval_seconds`` and runs the job
when it gets the job's lease (``quiver.services.jobs.lease``), so the job runs
once at a time however many processes share the database, and at most once per
interval. Each step's failure is logged and does not stop the others. The steps
write through their own features' use cases (each a ``unit_of_work``); ``JOBS``
counts the runs for ``/metrics``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from quiver.db.base import utcnow
from quiver.services.context import Context
from quiver.services.jobs.lease import release, try_acquire
from quiver.services.jobs.stats import JOBS
from quiver.services.recycle.service import purge_expired_feeds, purge_expired_versions
from quiver.services.retention.service import run_all

log = logging.getLogger("quiver.jobs")
LIFECYCLE = "lifecycle"

Step = Callable[[Context, datetime | None], Awaitable[int]]
STEPS: tuple[tuple[str, Step], ...] = (
    ("retention", run_all),
    ("purge versions", purge_expired_versions),
    ("purge feeds", purge_expired_feeds),
)


@dataclass(frozen=True)
class LifecycleRun:
    """What one run did: per step, how many versions or feeds it removed (None: it failed)."""

    started_at: datetime
    finished_at: datetime
    results: tuple[tuple[str, int | None], ...]

    def summary(self) -> str:
        """``lifecycle job from START to END (0.2s): retention: 3, purge versions: 0, ...``"""
        parts = [f"{name}: {'failed' if n is None else n}" for name, n in self.results]
        seconds = (self.finished_at - self.started_at).total_seconds()
        return (
            f"lifecycle job from {self.started_at.isoformat()} to "
            f"{self.finished_at.isoformat()} ({seconds:.1f}s): " + ", ".join(parts)
        )


def holder_name() -> str:
    """This process, as a lease holder: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def run_lifecycle(ctx: Context, now: datetime | None = None) -> LifecycleRun:
    """Run every step once, now, without a lease (the caller holds it, or a test)."""
    started = utcnow()
    results: list[tuple[str, int | None]] = []
    for name, step in STEPS:
        try:
            results.append((name, await step(ctx, now)))
        except Exception:
            log.exception("lifecycle job: %s failed", name)
            results.append((name, None))
    return LifecycleRun(started, utcnow(), tuple(results))


async def run_if_due(ctx: Context, holder: str) -> LifecycleRun | None:
    """Run the job if this process gets its lease (it is due and nobody runs it)."""
    every = timedelta(seconds=ctx.settings.jobs_interval_seconds)
    ttl = timedelta(seconds=ctx.settings.jobs_lease_seconds)
    if not await try_acquire(ctx.sessions, LIFECYCLE, holder, every, ttl):
        return None
    try:
        done = await run_lifecycle(ctx)
    finally:
        await release(ctx.sessions, LIFECYCLE, holder)
    log.info("%s [%s]", done.summary(), holder)
    JOBS.record(LIFECYCLE, (name for name, n in done.results if n is None))
    return done


async def schedule_forever(ctx: Context) -> None:
    """Try the job now and then every ``jobs_interval_seconds`` (the app's lifespan task)."""
    interval = ctx.settings.jobs_interval_seconds
    if interval <= 0:
        return
    holder = holder_name()
    while True:
        try:
            await run_if_due(ctx, holder)
        except Exception:
            log.exception("lifecycle job: could not run")
        await asyncio.sleep(interval)


__all__ = [
    "JOBS",
    "LIFECYCLE",
    "LifecycleRun",
    "holder_name",
    "run_if_due",
    "run_lifecycle",
    "schedule_forever",
]
