"""Liveness (``/_apis/health``) and readiness (``/_apis/health/ready``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from quiver import __version__
from quiver.api.deps import ContextDep
from quiver.services.health.service import readiness

router = APIRouter(tags=["health"])


@router.get("/_apis/health")
async def health() -> dict[str, str]:
    """Liveness: the process answers (no I/O, so a slow database never fails it)."""
    return {"status": "ok", "version": __version__}


@router.get("/_apis/health/ready")
async def ready(ctx: ContextDep) -> JSONResponse:
    """Readiness: ``200`` when the database and the blob store answer, else ``503``.

    The body names each check, how long it took and, when it failed, why in a few
    words: ``{"status": "ready", "checks": {"database": {"status": "ok", "ms": 0.4},
    "storage": {...}}}``.
    """
    results = await readiness(ctx)
    ok = all(result.ok for result in results)
    body: dict[str, object] = {
        "status": "ready" if ok else "unavailable",
        "checks": {result.name: result.as_json() for result in results},
    }
    if not ok:
        body["message"] = "Not ready: " + "; ".join(
            f"{result.name}: {result.message}" for result in results if not result.ok
        )
    return JSONResponse(body, status_code=200 if ok else 503, headers={"Cache-Control": "no-store"})
