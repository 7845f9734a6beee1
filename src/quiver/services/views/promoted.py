"""Which views each version is promoted to (for listings)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from quiver.services.views.models import FeedView, ViewVersion


async def views_of_versions(session: AsyncSession, version_ids: list[int]) -> dict[int, list[str]]:
    """The views (other than ``local``) each version is promoted to, by name."""
    if not version_ids:
        return {}
    rows = await session.execute(
        select(ViewVersion.version_id, FeedView.name)
        .join(FeedView, FeedView.id == ViewVersion.view_id)
        .where(ViewVersion.version_id.in_(version_ids))
        .order_by(FeedView.name_key)
    )
    found: dict[int, list[str]] = {}
    for version_id, name in rows:
        found.setdefault(version_id, []).append(name)
    return found


__all__ = ["views_of_versions"]
