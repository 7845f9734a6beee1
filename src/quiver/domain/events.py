"""The kinds of change a feed records, and which of them the change feed lists."""

from __future__ import annotations

import enum


class EventKind(enum.StrEnum):
    """What happened. Change kinds alter what the feed's indexes show; the rest
    are settings changes that only the audit log shows."""

    PUBLISH = "publish"  # a file published to the feed
    SAVE = "save"  # a file saved from an upstream source
    PROMOTE = "promote"
    DEMOTE = "demote"
    YANK = "yank"
    UNYANK = "unyank"
    DELETE = "delete"  # a version moved to the recycle bin
    RESTORE = "restore"  # a version back from the recycle bin
    PURGE = "purge"  # a version deleted for good (blobs removed)
    FEED_DELETE = "feed-delete"
    FEED_RESTORE = "feed-restore"
    RETENTION_SET = "retention-set"
    VIEW_CREATE = "view-create"
    VIEW_UPDATE = "view-update"
    VIEW_DELETE = "view-delete"
    UPSTREAM_ADD = "upstream-add"
    UPSTREAM_REMOVE = "upstream-remove"
    UPSTREAM_MOVE = "upstream-move"
    UPSTREAMING_SET = "upstreaming-set"  # a package's upstream behaviour
    FEED_UPDATE = "feed-update"
    PERMISSION_SET = "permission-set"
    PERMISSION_REMOVE = "permission-remove"


#: The kinds the change feed lists (for mirroring); the audit log lists every kind.
CHANGE_KINDS = frozenset(
    {
        EventKind.PUBLISH,
        EventKind.SAVE,
        EventKind.PROMOTE,
        EventKind.DEMOTE,
        EventKind.YANK,
        EventKind.UNYANK,
        EventKind.DELETE,
        EventKind.RESTORE,
        EventKind.PURGE,
    }
)

#: The actor named for what the server does by itself (retention, recycle-bin purge).
SERVER_ACTOR = "quiver"
