"""The one way a use case writes: begin, change, record the feed event, commit, invalidate.

::

    async with unit_of_work(ctx, Actor.of(principal)) as work:
        work.session.add(row)
        await work.record(feed.id, EventKind.VIEW_CREATE, view=name)

On leaving the block without an error the transaction commits and then
``ctx.access.invalidate()`` runs, so this process (and, through
``quiver.services.coherence``, every other server process) drops what it cached
about access and sees the feeds' new serials. An error inside the block rolls
everything back, records nothing and invalidates nothing. ``record`` bumps the
feed's serial and adds its change-feed event in the same transaction
(``quiver.services.changes.record``), so a change is visible with its event or not at all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from quiver.domain.events import EventKind
from quiver.services.changes.record import SERVER, Actor, record_event
from quiver.services.context import Context


@dataclass
class Work:
    """A write in progress: its session, and who the events it records name."""

    session: AsyncSession
    actor: Actor

    async def record(
        self,
        feed_id: int,
        kind: EventKind,
        *,
        package: str | None = None,
        version: str | None = None,
        view: str | None = None,
        files: Sequence[str] = (),
        detail: dict[str, Any] | None = None,
    ) -> int:
        """Bump the feed's serial and add the event under it; returns the event's ``seq``."""
        return await record_event(
            self.session,
            feed_id,
            self.actor,
            kind,
            package=package,
            version=version,
            view=view,
            files=files,
            detail=detail,
        )


@asynccontextmanager
async def unit_of_work(ctx: Context, actor: Actor = SERVER) -> AsyncIterator[Work]:
    """A transaction that commits when the block ends and then invalidates the caches.

    ``actor`` is who the recorded events name (``Actor.of(principal)``; the server by
    default, for scheduled jobs and writes that record no event).
    """
    async with ctx.sessions() as session, session.begin():
        yield Work(session, actor)
    ctx.access.invalidate()
