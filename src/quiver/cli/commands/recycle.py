"""The recycle bins: ``quiver package delete|restore|purge|recycle-bin`` for a feed's
versions, ``quiver feed restore|purge|recycle-bin`` for feeds.

``quiver feed delete`` (``quiver.cli.commands.feeds``) moves a feed to the bin;
``register`` attaches these commands to ``quiver package`` and ``quiver feed``.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from quiver.cli.client import ClientError, feed_path, path, scope_path, split_ref
from quiver.cli.commands import feeds, packages
from quiver.cli.commands._common import (
    EXIT_REFUSED,
    EXIT_USAGE,
    FeedRefArg,
    JsonOpt,
    ServerOpt,
    TokenOpt,
    connect,
    details,
    emit_json,
    fail,
    guarded,
    listing,
    note,
    table,
    when,
)
from quiver.cli.commands.feeds import SHOWN
from quiver.cli.commands.packages import PackageArg, VersionArg, hinted, package_url
from quiver.domain.versions import MAX_REASON

BIN = "/_apis/packaging/feed-recycle-bin"
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


# --- versions: quiver package delete|restore|purge|recycle-bin ------------------------------


def _bin_url(ref: str, *parts: str) -> str:
    with guarded():
        return feed_path(ref) + "/recycle-bin" + path(*parts)


def _if_conflict(err: ClientError, hint: str) -> str:
    """``hint`` for a 409 (a purge of what is not in the bin), else nothing."""
    return hint if err.status == 409 else ""


def _show(found: dict[str, Any], as_json: bool, message: str) -> None:
    if as_json:
        emit_json(found)
        return
    note(message)
    for filename in found["files"]:
        typer.echo(filename)


def delete_version(
    ref: FeedRefArg,
    name: PackageArg,
    version: VersionArg,
    reason: Annotated[
        str | None,
        typer.Option(
            "--reason", help=f"Why (at most {MAX_REASON} characters); the audit log keeps it."
        ),
    ] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Delete a version: it moves to the feed's recycle bin (feed owners).

    Every file of it leaves the index at once; restore it until the bin purges it.
    The files are listed on stdout.
    """
    url = package_url(ref, name, "versions", version)
    params = {} if reason is None else {"reason": reason}
    with connect(server, token) as client:
        found = client.request("DELETE", url, params=params)
    undo = f"quiver package restore {ref} {found['package']} {found['version']}"
    _show(
        found,
        as_json,
        f"Deleted {found['package']} {found['version']} from {ref}: it is in the recycle bin "
        f"until {when(found['purge_after'])} UTC. Restore it with: {undo}",
    )


def restore_version(
    ref: FeedRefArg,
    name: PackageArg,
    version: VersionArg,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Bring a version back from the feed's recycle bin, unchanged (feed owners)."""
    url = _bin_url(ref, name, version, "restore")
    with connect(server, token) as client:
        found = client.post(url, {})
    again = f"quiver package delete {ref} {found['package']} {found['version']}"
    _show(
        found,
        as_json,
        f"Restored {found['package']} {found['version']} in {ref}: installers see it again "
        f"(delete it again with: {again}).",
    )


def purge_version(
    ref: FeedRefArg,
    name: PackageArg,
    version: VersionArg,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Delete a version in the recycle bin for good, with its files (feed owners).

    This cannot be undone, and its filenames can never be published to the feed again.
    """
    url = _bin_url(ref, name, version)
    delete_first = f" Delete it first with: quiver package delete {ref} {name} {version}"
    with connect(server, token) as client, hinted(lambda err: _if_conflict(err, delete_first)):
        found = client.delete(url)
    _show(
        found,
        as_json,
        f"Purged {found['package']} {found['version']} from {ref} for good: its files are "
        "gone and their names can never be published to this feed again.",
    )


def version_bin(
    ref: FeedRefArg, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """The versions in the feed's recycle bin, and when each is purged (feed owners)."""
    url = _bin_url(ref)
    with connect(server, token) as client:
        found = client.get(url)
    if as_json:
        emit_json(found)
        return
    rows = [
        [
            item["package"],
            item["version"],
            when(item["deleted_at"]),
            item["deleted_by"],
            when(item["purge_after"]),
            ", ".join(item["files"]),
        ]
        for item in found
    ]
    table(
        ["PACKAGE", "VERSION", "DELETED", "BY", "PURGED AFTER", "FILES"],
        rows,
        empty=f"The recycle bin of {ref} is empty.",
        keep_whole=[True, True, True, True, True, False],
    )


# --- feeds: quiver feed restore|purge|recycle-bin -------------------------------------------


def bin_url(ref: str, *parts: str) -> str:
    """The REST address of ``ref`` in its organization's (or project's) feed recycle bin."""
    with guarded():
        scope, feed = split_ref(ref)
    return scope + BIN + path(feed, *parts)


def restore_feed(
    ref: FeedRefArg, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Bring a feed back from the recycle bin as it was: packages, views, permissions,
    upstream sources (feed owners)."""
    url = bin_url(ref, "restore")
    with connect(server, token) as client:
        feed = client.post(url, {})
    note(f"Restored feed {feed['ref']}: installs and uploads work again.")
    details(feed, SHOWN, as_json=as_json)


def purge_feed(
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
    delete_first = f" Delete it first with: quiver feed delete {ref}"
    with connect(server, token) as client, hinted(lambda err: _if_conflict(err, delete_first)):
        client.delete(url)
    note(f"Purged feed {ref} for good: its packages are gone and its name is free again.")


def feed_bin(
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
    """Add the commands to ``quiver package`` and ``quiver feed``."""
    packages.app.command("delete")(delete_version)
    packages.app.command("restore")(restore_version)
    packages.app.command("purge")(purge_version)
    packages.app.command("recycle-bin")(version_bin)
    feeds.app.command("restore")(restore_feed)
    feeds.app.command("purge")(purge_feed)
    feeds.app.command("recycle-bin")(feed_bin)
