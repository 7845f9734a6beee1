"""The management REST API under ``_apis`` (JSON; OpenAPI at /_apis/openapi.json)."""

from fastapi import APIRouter

from quiver.api.rest import (
    changes,
    connect,
    feeds,
    health,
    login,
    orgs,
    packages,
    permissions,
    recycle,
    retention,
    tokens,
    upstreams,
    users,
    views,
)

router = APIRouter()
router.include_router(health.router)
router.include_router(users.router)
router.include_router(login.router)
router.include_router(tokens.router)
router.include_router(orgs.router)
router.include_router(feeds.mounted())
router.include_router(permissions.mounted())
router.include_router(recycle.mounted())
router.include_router(connect.mounted())
router.include_router(upstreams.mounted())
router.include_router(packages.mounted())
router.include_router(views.mounted())
router.include_router(retention.mounted())
router.include_router(changes.mounted())

__all__ = ["router"]
