"""The management REST API under ``_apis`` (JSON; OpenAPI at /_apis/openapi.json)."""

from fastapi import APIRouter

from quiver.api.rest import health

router = APIRouter()
router.include_router(health.router)

__all__ = ["router"]
