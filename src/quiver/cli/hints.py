"""What the CLI adds to a server's refusal: the ``quiver`` command that gets past it.

The server's messages never name commands (it also answers pip, twine and browsers);
the ``code`` of its error bodies, with what the command was asked to do, is what these
hints are made of.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The ``code`` of an error body for a version in the recycle bin (services.recycle) and
# for a filename the feed has or had (services.publish).
VERSION_IN_BIN = "version_in_bin"
FILE_EXISTS = "file_exists"


def restore_hint(ref: str, name: str, version: str, body: Mapping[str, Any] | None) -> str:
    """`` Restore it with: quiver package restore REF NAME VERSION`` when ``body`` refuses a
    change because version ``version`` of ``name`` is in the recycle bin of ``ref`` (its code
    says so, or a ``file_exists`` says the file is in the bin), else ``""``."""
    body = body or {}
    code, message = body.get("code"), body.get("message")
    binned = code == VERSION_IN_BIN or (
        code == FILE_EXISTS and isinstance(message, str) and "in the recycle bin" in message
    )
    return f" Restore it with: quiver package restore {ref} {name} {version}" if binned else ""


__all__ = ["FILE_EXISTS", "VERSION_IN_BIN", "restore_hint"]
