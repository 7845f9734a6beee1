"""A feed's retention policy and preview, recycle bin, change log and deletion.

Each page lives in its own module (``bin_retention``, ``bin_recycle``, ``bin_changes``,
``bin_delete``; what they share in ``bin_common``); this router gathers them and is
included by ``pages.py`` under ``/{org}`` and ``/{org}/{project}``.
"""

from __future__ import annotations

from fastapi import APIRouter

from quiver.api.ui import bin_changes, bin_delete, bin_recycle, bin_retention

router = APIRouter(include_in_schema=False)
for _module in (bin_retention, bin_recycle, bin_changes, bin_delete):
    router.include_router(_module.router)
