"""The simple index's door: what a feed (or a view of it) shows installers, and downloads.

The api (index pages, file downloads), upstream merging and views call these. The reads
are in ``queries`` (one query each, cached per feed serial where it says so; the records
are the shared ones of ``quiver.services.records``); download counts are buffered and
written in batches by ``downloads``.
"""

from __future__ import annotations

from quiver.services.index.downloads import DownloadBuffer, flush_downloads
from quiver.services.index.queries import (
    bin_key,
    find_file,
    in_view,
    list_package_names,
    live,
    local_package,
    package_files,
    sorted_listing,
    version_key,
    view_package,
)

__all__ = [
    "DownloadBuffer",
    "bin_key",
    "find_file",
    "flush_downloads",
    "in_view",
    "list_package_names",
    "live",
    "local_package",
    "package_files",
    "sorted_listing",
    "version_key",
    "view_package",
]
