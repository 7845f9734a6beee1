"""A feed's settings for its owners: general, permissions, views, upstream sources."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
