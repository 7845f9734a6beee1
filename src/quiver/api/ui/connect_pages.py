"""The feed's connect page (snippets per tool, a token made for them)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
