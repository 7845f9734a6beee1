"""Liveness."""

from __future__ import annotations

from fastapi import APIRouter

from quiver import __version__

router = APIRouter(tags=["health"])


@router.get("/_apis/health")
async def health() -> dict[str, str]:
    """Liveness: the process answers. (Readiness arrives with the scale-out issue.)"""
    return {"status": "ok", "version": __version__}
