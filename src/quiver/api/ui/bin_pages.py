"""A feed's retention preview, recycle bin, change log and deletion (owners)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
