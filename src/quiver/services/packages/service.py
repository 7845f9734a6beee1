"""The packages feature's door: what a feed holds, yanking, and batches of versions.

The api and the cli call these. Reads are in ``queries`` (packages of a feed, a
package's versions with their files) and ``listing`` (a feed's packages for its web
page, filtered and paged), yanking in ``yank``, batches in ``batch``; a package's
upstream behaviour is set through ``quiver.services.upstreams.service``.
"""

from __future__ import annotations

from quiver.services.packages.batch import run_batch
from quiver.services.packages.details import version_details
from quiver.services.packages.listing import ORIGINS, package_page
from quiver.services.packages.queries import list_packages, list_versions
from quiver.services.packages.yank import unyank, yank

__all__ = [
    "ORIGINS",
    "list_packages",
    "list_versions",
    "package_page",
    "run_batch",
    "unyank",
    "version_details",
    "yank",
]
