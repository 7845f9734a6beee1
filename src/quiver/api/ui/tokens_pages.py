"""Your tokens: list, create, revoke (/_account/tokens)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
