"""The change feed and audit log: how many entries a page may hold."""

from __future__ import annotations

DEFAULT_BATCH = 100  # entries per page when the caller names no size
MAX_BATCH = 1000  # entries per page at most

__all__ = ["DEFAULT_BATCH", "MAX_BATCH"]
