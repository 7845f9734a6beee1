"""Feeds checked against the server, index URLs with credentials, and index lists that a
new run replaces rather than extends — what ``pip-authenticate`` and ``twine-authenticate``
share.

Contracts: :func:`check_feeds` asks the server about every feed (it exists, the token may read
it, the view exists) and raises ClientError otherwise; :func:`merged` keeps an index list free
of duplicates and of stale entries for this server; :func:`masked` hides credentials for
messages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from quiver.cli.client import Client, ConfigError, path, resolve_credentials, scope_path
from quiver.cli.connections import embed_credentials
from quiver.domain.errors import Invalid
from quiver.domain.names import split_feed_ref
from quiver.domain.snippets import index_url, upload_url

DEFAULT_USERNAME = "quiver"
_CREDENTIALS = re.compile(r"://[^/\s@]+@")


@dataclass(frozen=True)
class Feed:
    """A checked feed reference: how the server spells it, and its URLs (no credentials)."""

    ref: str
    name: str
    index_url: str
    upload_url: str
    role: str


@dataclass(frozen=True)
class Signed:
    """The feeds, checked, with what to sign their URLs with."""

    server: str | None
    username: str
    token: str | None
    feeds: list[Feed]

    def sign(self, url: str) -> str:
        return embed_credentials(url, self.username, self.token)


def check_feeds(refs: Sequence[str], server: str | None, token: str | None) -> Signed:
    """Parse ``refs`` and check each against the server (ClientError on any problem)."""
    parsed = []
    for ref in refs:
        try:
            parsed.append(split_feed_ref(ref))
        except Invalid as err:
            raise ConfigError(str(err)) from None
    if not parsed:
        return Signed(None, DEFAULT_USERNAME, None, [])
    credentials = resolve_credentials(server, token)
    found: list[Feed] = []
    with Client(credentials.server, credentials.token) as client:
        username = DEFAULT_USERNAME
        if credentials.token:
            username = str(client.get("/_apis/users/me")["username"])
        for org, project, name, view in dict.fromkeys(parsed):
            scope = scope_path(f"{org}/{project}" if project else org)
            feed = client.get(f"{scope}/_apis/packaging/feeds{path(name)}")
            if view is not None:  # the connect route knows the views; the feed route does not
                client.get(f"{scope}/_apis/packaging/feeds{path(f'{name}@{view}')}/connect")
            org, project, name = feed["org"], feed["project"], feed["name"]
            found.append(
                Feed(
                    ref=str(feed["ref"]) + (f"@{view}" if view else ""),
                    name=name,
                    index_url=index_url(credentials.server, org, project, name, view),
                    upload_url=upload_url(credentials.server, org, project, name),
                    role=str(feed["your_role"]),
                )
            )
    return Signed(credentials.server, username, credentials.token, found)


def secrets_of(*values: str | None) -> list[str]:
    """Each secret as given and URL-quoted (how it appears inside a URL)."""
    out: list[str] = []
    for value in values:
        if value:
            out += [value, quote(value, safe="")]
    return list(dict.fromkeys(out))


def masked(text: str) -> str:
    """``text`` with the credentials of every URL in it shown as ``***``."""
    return _CREDENTIALS.sub("://***@", text)


def _key(url: str) -> tuple[str, str, int | None, str]:
    """(scheme, host, port, path without trailing slash) of ``url``, credentials ignored.

    Raises ValueError for a malformed port.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    port = parts.port or {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port, parts.path.rstrip("/")


def _entry_url(entry: str) -> str:
    """The URL of an index list entry: uv's ``UV_INDEX`` also takes ``name=URL``."""
    name, sep, rest = entry.partition("=")
    return rest if sep and "://" not in name else entry


def is_replaced(entry: str, server: str | None, new_urls: Sequence[str]) -> bool:
    """True when an index list entry is ours to replace: an address on ``server`` (any
    credentials), or the same index as one of ``new_urls``."""
    try:
        key = _key(_entry_url(entry))
    except ValueError:
        return False
    if server is not None:
        home = _key(server)
        if key[:3] == home[:3] and (key[3] + "/").startswith(home[3] + "/"):
            return True
    return any(key == _key(new) for new in new_urls)


def merged(current: str, ours: Sequence[str], server: str | None) -> str:
    """``ours`` then the entries of ``current`` (space separated) that are not ours."""
    kept = [entry for entry in current.split() if not is_replaced(entry, server, ours)]
    return " ".join(dict.fromkeys([*ours, *kept]))
