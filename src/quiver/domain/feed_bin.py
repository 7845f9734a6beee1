"""The feed recycle bin's rules: when a deleted feed is purged, and what callers are told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def purge_after(deleted_at: datetime, days: int) -> datetime:
    """When a feed deleted at ``deleted_at`` leaves the bin for good (``days`` in the bin)."""
    return deleted_at + timedelta(days=days)


def stamp(moment: datetime) -> str:
    """A moment as people read it: ``2025-06-01 14:05 UTC``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def gone_message(ref: str, deleted_at: datetime, deleted_by: str | None, days: int) -> str:
    """Why a read or write of a deleted feed is refused, and how to undo the deletion."""
    by = f" by {deleted_by}" if deleted_by else ""
    return (
        f"Feed {ref} was deleted on {stamp(deleted_at)}{by} and is in the recycle bin; "
        f"an owner can restore it with `quiver feed restore {ref}` "
        f"until {stamp(purge_after(deleted_at, days))}."
    )


def reserved_message(ref: str, deleted_at: datetime) -> str:
    """Why a new feed may not take the name of one in the recycle bin."""
    return (
        f"Feed {ref} is in the recycle bin (deleted {stamp(deleted_at)}): "
        "restore it, or purge it to reuse the name."
    )
