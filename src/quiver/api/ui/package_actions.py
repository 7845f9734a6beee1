"""A package version's actions: promote, demote, yank, un-yank, delete (confirmed)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
