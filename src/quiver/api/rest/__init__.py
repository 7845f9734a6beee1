"""The management REST API under ``_apis`` (JSON; OpenAPI at /_apis/openapi.json)."""

from fastapi import APIRouter

from quiver.api.rest import feeds, health, orgs, tokens, users

router = APIRouter()
router.include_router(health.router)
router.include_router(users.router)
router.include_router(tokens.router)
router.include_router(orgs.router)
router.include_router(feeds.mounted())

__all__ = ["router"]
