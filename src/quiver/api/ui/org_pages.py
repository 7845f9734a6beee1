"""Organization and project pages: members and their roles, projects, feeds."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
