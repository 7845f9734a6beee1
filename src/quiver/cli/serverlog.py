"""The server's own log lines (``quiver.*`` loggers) on stderr, next to uvicorn's.

Without this only warnings and errors of ``quiver.*`` reach stderr (Python's
last-resort handler); with it the level follows ``QUIVER_LOG_LEVEL``, so the
lifecycle job's one line per run shows at ``info``.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Ours, so that configuring twice adds no second handler."""


def configure(level: str) -> None:
    """Send ``quiver.*`` records at ``level`` and above to stderr."""
    logger = logging.getLogger("quiver")
    number = logging.getLevelName(level.upper())
    logger.setLevel(number if isinstance(number, int) else logging.DEBUG)  # uvicorn's "trace"
    if any(isinstance(handler, _StderrHandler) for handler in logger.handlers):
        return
    handler = _StderrHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    logger.addHandler(handler)
    logger.propagate = False
