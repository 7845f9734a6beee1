"""The recycle bins' door: versions of a feed, and feeds, deleted but not yet gone.

The api, the cli, jobs and other features call these. The use cases live in
``versions`` (delete a version to the bin, restore it, list the bin), ``purge`` (purge
versions, by owners or when their time is up) and ``feeds`` (restore, purge and list
deleted feeds); ``queries`` finds versions and refuses changes to binned ones
(``VersionInBin``), for publishing, yanking and promoting alike; ``claims`` keeps a blob
being stored from being deleted by a purge.
"""

from __future__ import annotations

from quiver.services.recycle.claims import (
    claim_blobs,
    delete_if_unused,
    forget_blobs,
    release_claims,
)
from quiver.services.recycle.feeds import (
    binned,
    list_feed_recycle_bin,
    purge_expired_feeds,
    purge_feed,
    restore_feed,
)
from quiver.services.recycle.purge import purge_expired_versions, purge_version
from quiver.services.recycle.queries import (
    VERSION_IN_BIN,
    VersionInBin,
    binned_version,
    live_version,
    refuse_if_binned,
)
from quiver.services.recycle.versions import (
    delete_version,
    list_recycle_bin,
    restore_version,
    trash_version,
)

__all__ = [
    "VERSION_IN_BIN",
    "VersionInBin",
    "binned",
    "binned_version",
    "claim_blobs",
    "delete_if_unused",
    "delete_version",
    "forget_blobs",
    "list_feed_recycle_bin",
    "list_recycle_bin",
    "live_version",
    "purge_expired_feeds",
    "purge_expired_versions",
    "purge_feed",
    "purge_version",
    "refuse_if_binned",
    "release_claims",
    "restore_feed",
    "restore_version",
    "trash_version",
]
