"""Errors of the upstream fetch side."""

from __future__ import annotations

from quiver.services.errors import ServiceError


class UpstreamError(ServiceError):
    """An upstream index failed us: unreachable, refused, too large or garbage (502).

    ``str(err)`` is one line naming the upstream by its URL without credentials or
    query string, safe to show a caller and to log.
    """

    status = 502
