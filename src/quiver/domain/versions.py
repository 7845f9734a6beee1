"""Rules for changing a version's state: the reason given with it, and batches of versions.

The server enforces them (``services.packages``, ``services.recycle``); the CLI and the
REST schemas quote the same numbers from here in their help.
"""

from __future__ import annotations

from packaging.version import InvalidVersion, Version

from quiver.domain.errors import Invalid

#: The longest reason kept for a yank or a deletion (the column's size).
MAX_REASON = 512

#: The most versions one batch call may name.
MAX_BATCH = 500

#: What a batch call may do to each of its versions.
BATCH_OPERATIONS = ("promote", "demote", "yank", "unyank", "delete", "restore", "purge")


#: The longest version kept (the versions table's column); also keeps packaging's integer
#: parsing away from segments of thousands of digits, which raise ValueError, not InvalidVersion.
MAX_VERSION_CHARS = 100


def pep440(text: str) -> Version | None:
    """``text`` as a PEP 440 version; None when it is not one or is over MAX_VERSION_CHARS."""
    if len(text) > MAX_VERSION_CHARS:
        return None
    try:
        return Version(text)
    except InvalidVersion:
        return None


def clean_reason(reason: str | None) -> str | None:
    """``reason`` with its whitespace collapsed (None when blank); Invalid when too long."""
    if reason is None:
        return None
    text = " ".join(reason.split())
    if len(text) > MAX_REASON:
        raise Invalid(
            f"The reason is {len(text)} characters long; at most {MAX_REASON} are allowed."
        )
    return text or None


__all__ = [
    "BATCH_OPERATIONS",
    "MAX_BATCH",
    "MAX_REASON",
    "MAX_VERSION_CHARS",
    "clean_reason",
    "pep440",
]
