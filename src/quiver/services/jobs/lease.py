"""Leases on scheduled jobs: one holder at a time, across every server process.

A job's row in ``job_leases`` is taken by one conditional UPDATE that succeeds
only when nobody holds the lease (or the holder's lease has expired: it died)
and the last run started at least ``every`` ago. Both SQLite and PostgreSQL
apply a single UPDATE atomically (PostgreSQL re-checks the condition on the row
a concurrent taker just committed), so exactly one process gets ``rowcount`` 1.

The writes use a plain session, not ``unit_of_work``: a lease row is bookkeeping that
changes neither access nor what a feed shows, so there is no event to record and no
cache to drop.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.exc import IntegrityError

from quiver.db.base import utcnow
from quiver.db.engine import SessionFactory
from quiver.services.jobs.models import JobLease


async def try_acquire(
    sessions: SessionFactory,
    name: str,
    holder: str,
    every: timedelta,
    ttl: timedelta,
    now: datetime | None = None,
) -> bool:
    """Take the lease on job ``name`` for ``ttl`` if it is free and due; True if taken."""
    now = now or utcnow()
    await _ensure_row(sessions, name)
    taking = (
        update(JobLease)
        .where(
            JobLease.name == name,
            or_(JobLease.holder.is_(None), JobLease.expires_at < now),
            or_(JobLease.last_started_at.is_(None), JobLease.last_started_at <= now - every),
        )
        .values(holder=holder, expires_at=now + ttl, last_started_at=now)
        .execution_options(synchronize_session=False)
    )
    async with sessions() as session, session.begin():
        result = await session.execute(taking)
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


async def release(
    sessions: SessionFactory, name: str, holder: str, now: datetime | None = None
) -> bool:
    """Give the lease back after a run (counting it); False if ``holder`` no longer held it."""
    now = now or utcnow()
    giving = (
        update(JobLease)
        .where(JobLease.name == name, JobLease.holder == holder)
        .values(holder=None, expires_at=None, last_finished_at=now, runs=JobLease.runs + 1)
        .execution_options(synchronize_session=False)
    )
    async with sessions() as session, session.begin():
        result = await session.execute(giving)
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


async def _ensure_row(sessions: SessionFactory, name: str) -> None:
    """Create the job's row the first time; another process creating it too is fine."""
    async with sessions() as session:
        if await session.scalar(select(JobLease.name).where(JobLease.name == name)) is not None:
            return
    try:
        async with sessions() as session, session.begin():
            session.add(JobLease(name=name, runs=0))
    except IntegrityError:
        pass


__all__ = ["release", "try_acquire"]
