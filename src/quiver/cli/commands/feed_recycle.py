"""``quiver feed restore|purge|recycle-bin``: the feed recycle bin.

``quiver feed delete`` (``quiver.cli.commands.feeds``) moves a feed to the bin;
``register`` attaches these commands to ``quiver feed``.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from quiver.cli.client import path, scope_path, split_ref
from quiver.cli.commands import feeds
from quiver.cli.commands._common import (
    EXIT_REFUSED,
    EXIT_USAGE,
    FeedRefArg,
    JsonOpt,
    ServerOpt,
    TokenOpt,
    connect,
    details,
    fail,
    guarded,
    listing,
    note,
)
from quiver.cli.commands.feeds import SHOWN

BIN = "/_apis/packaging/feed-recycle-bin"
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


def bin_url(ref: str, *parts: str) -> str:
    """The REST address of ``ref`` in its organization's (or project's) feed recycle bin."""
    with guarded():
        scope, feed = split_ref(ref)
    return scope + BIN + path(feed, *parts)


def restore(
    ref: FeedRefArg, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Bring a feed back from the recycle bin as it was: packages, views, permissions,
    upstream sources (feed owners)."""
    url = bin_url(ref, "restore")
    with connect(server, token) as client:
        feed = client.post(url, {})
    note(f"Restored feed {feed['ref']}: installs and uploads work again.")
    details(feed, SHOWN, as_json=as_json)


def purge(
    ref: FeedRefArg, yes: YesOpt = False, server: ServerOpt = None, token: TokenOpt = None
) -> None:
    """Delete a feed in the recycle bin for good, with every package in it (feed owners).

    This cannot be undone; the feed's name can then be used again.
    """
    url = bin_url(ref)
    if not yes:
        if not sys.stdin.isatty():
            fail(f"Refusing to purge feed {ref} without --yes: no terminal to ask.", EXIT_USAGE)
        if not typer.confirm(f"Purge feed {ref} and every package in it for good?", err=True):
            fail("Not purged.", EXIT_REFUSED)
    with connect(server, token) as client:
        client.delete(url)
    note(f"Purged feed {ref} for good: its packages are gone and its name is free again.")


def recycle_bin(
    scope: Annotated[
        str, typer.Argument(metavar="ORG[/PROJECT]", help="Where to look.", show_default=False)
    ],
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The feeds in the recycle bin of an organization (or project) that you own, and
    when each is purged."""
    with guarded():
        url = scope_path(scope) + BIN
    with connect(server, token) as client:
        found = client.get(url)
    columns = [
        ("FEED", "ref"),
        ("DELETED", "deleted_at"),
        ("BY", "deleted_by"),
        ("PURGED AFTER", "purge_after"),
    ]
    empty = f"No feeds of yours in the recycle bin of {scope}."
    listing(found, columns, as_json=as_json, empty=empty)


def register(_root: typer.Typer) -> None:
    """Add the commands to ``quiver feed``."""
    feeds.app.command("restore")(restore)
    feeds.app.command("purge")(purge)
    feeds.app.command("recycle-bin")(recycle_bin)
