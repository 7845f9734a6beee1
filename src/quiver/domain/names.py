"""Names of organizations, projects, feeds, views and users.

Feed names follow the rules hosted artifact feeds use, so names move between
products unchanged. Organization, project and user names appear in URL paths
and are kept to a conservative slug.
"""

from __future__ import annotations

import re

from quiver.domain.errors import Invalid

FEED_NAME_MAX = 64
DESCRIPTION_MAX = 255
FEED_BANNED = frozenset('@~;{}\\+=<>|/?:&$*"#[]')
_SLUG = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9_-])?$")


def validate_feed_name(name: str) -> str:
    """Return ``name`` if it is a valid feed (or view) name, else raise Invalid."""
    if not name:
        raise Invalid("Feed name must not be empty.")
    if len(name) > FEED_NAME_MAX:
        raise Invalid(f"Feed name must be at most {FEED_NAME_MAX} characters.")
    if any(ch.isspace() for ch in name):
        raise Invalid("Feed name must not contain whitespace.")
    if name[0] in "_.":
        raise Invalid("Feed name must not start with '_' or '.'.")
    if name.endswith("."):
        raise Invalid("Feed name must not end with '.'.")
    banned = sorted({ch for ch in name if ch in FEED_BANNED})
    if banned:
        raise Invalid(f"Feed name must not contain {' '.join(banned)}.")
    if any(not ch.isprintable() for ch in name):
        raise Invalid("Feed name must not contain control characters.")
    return name


def validate_slug(kind: str, name: str) -> str:
    """Validate an organization, project or user name (``kind`` names it in errors).

    1-64 characters of letters, digits, ``.``, ``_`` and ``-``, starting with a
    letter or digit and not ending with ``.``.
    """
    if not _SLUG.match(name):
        raise Invalid(
            f"{kind} name must be 1-64 letters, digits, '.', '_' or '-', "
            "start with a letter or digit and not end with '.'."
        )
    return name


def validate_description(text: str | None) -> str | None:
    """Feed descriptions are at most 255 characters."""
    if text is not None and len(text) > DESCRIPTION_MAX:
        raise Invalid(f"Description must be at most {DESCRIPTION_MAX} characters.")
    return text


def name_key(name: str) -> str:
    """The case-insensitive key under which a name is unique."""
    return name.casefold()


def split_feed_ref(text: str) -> tuple[str, str | None, str, str | None]:
    """Split ``ORG/FEED`` or ``ORG/PROJECT/FEED``, optionally ``@VIEW``, into its parts.

    Returns ``(org, project, feed, view)``; only the shape is checked here, the
    names themselves by the rules above when something is created.
    """
    base, _, view = text.strip().partition("@")
    parts = base.split("/")
    if len(parts) not in (2, 3) or not all(parts) or (view == "" and "@" in text):
        raise Invalid(
            f"Invalid feed reference {text!r}: use ORG/FEED or ORG/PROJECT/FEED (optionally @VIEW)."
        )
    if len(parts) == 2:
        return parts[0], None, parts[1], view or None
    return parts[0], parts[1], parts[2], view or None
