"""Job leases on both databases: one holder at a time, once per interval, taken over when stale."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from sqlalchemy import select

from quiver.db.base import utcnow
from quiver.services.jobs.lease import release, try_acquire
from quiver.services.jobs.models import JobLease
from quiver.services.jobs.service import LIFECYCLE, run_if_due, run_lifecycle
from tests.http.publishing import context_of

EVERY = timedelta(minutes=10)
TTL = timedelta(minutes=30)


async def lease(api: httpx.AsyncClient, name: str) -> JobLease:
    async with context_of(api).sessions() as session:
        row = await session.scalar(select(JobLease).where(JobLease.name == name))
    assert row is not None
    return row


async def test_one_holder_at_a_time_and_once_per_interval(api: httpx.AsyncClient) -> None:
    ctx = context_of(api)
    now = utcnow()
    assert await try_acquire(ctx.sessions, "job", "a", EVERY, TTL, now)
    assert not await try_acquire(ctx.sessions, "job", "b", EVERY, TTL, now)
    assert not await try_acquire(ctx.sessions, "job", "a", EVERY, TTL, now)  # not twice, even by a
    row = await lease(api, "job")
    assert (row.holder, row.runs, row.last_started_at) == ("a", 0, now)

    assert not await release(ctx.sessions, "job", "b", now)  # only the holder gives it back
    assert await release(ctx.sessions, "job", "a", now + timedelta(seconds=5))
    row = await lease(api, "job")
    assert (row.holder, row.expires_at, row.runs) == (None, None, 1)
    assert row.last_finished_at == now + timedelta(seconds=5)

    # Free, but not due until EVERY has passed since the last start.
    assert not await try_acquire(ctx.sessions, "job", "b", EVERY, TTL, now + EVERY / 2)
    assert await try_acquire(ctx.sessions, "job", "b", EVERY, TTL, now + EVERY)


async def test_a_lease_whose_holder_died_is_taken_over(api: httpx.AsyncClient) -> None:
    ctx = context_of(api)
    now = utcnow()
    assert await try_acquire(ctx.sessions, "job", "dead", EVERY, TTL, now)
    assert not await try_acquire(
        ctx.sessions, "job", "b", EVERY, TTL, now + TTL - timedelta(seconds=1)
    )
    assert await try_acquire(ctx.sessions, "job", "b", EVERY, TTL, now + TTL + timedelta(seconds=1))
    assert not await release(ctx.sessions, "job", "dead")
    assert (await lease(api, "job")).holder == "b"


async def test_concurrent_takers_get_it_once(api: httpx.AsyncClient) -> None:
    ctx = context_of(api)
    now = utcnow()
    taken = await asyncio.gather(
        *(try_acquire(ctx.sessions, "race", f"p{i}", EVERY, TTL, now) for i in range(8))
    )
    assert sum(taken) == 1


async def test_the_lifecycle_job_runs_every_step(api: httpx.AsyncClient) -> None:
    done = await run_lifecycle(context_of(api))
    assert [name for name, _ in done.results] == ["retention", "purge versions", "purge feeds"]
    assert all(count == 0 for _, count in done.results)
    assert done.summary().startswith(f"lifecycle job from {done.started_at.isoformat()} to ")
    assert done.summary().endswith(": retention: 0, purge versions: 0, purge feeds: 0")

    ctx = context_of(api)
    ctx.settings = ctx.settings.model_copy(update={"jobs_interval_seconds": 3600})
    assert await run_if_due(ctx, "me") is not None
    assert await run_if_due(ctx, "other") is None  # not due again for an hour
    row = await lease(api, LIFECYCLE)
    assert row.runs == 1
    assert row.holder is None
    assert row.last_started_at is not None and row.last_finished_at is not None
    assert row.last_finished_at >= row.last_started_at
