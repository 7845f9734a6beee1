"""``quiver package delete|restore|purge|recycle-bin``: a feed's recycle bin for versions.

Attached to ``quiver package`` (``quiver.cli.commands.packages``) by ``register``.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from quiver.cli.client import feed_path, path
from quiver.cli.commands import packages
from quiver.cli.commands._common import (
    FeedRefArg,
    JsonOpt,
    ServerOpt,
    TokenOpt,
    connect,
    emit_json,
    guarded,
    note,
    table,
    when,
)
from quiver.cli.commands.packages import PackageArg, VersionArg, package_url


def _bin_url(ref: str, *parts: str) -> str:
    with guarded():
        return feed_path(ref) + "/recycle-bin" + path(*parts)


def _show(found: dict[str, Any], as_json: bool, message: str) -> None:
    if as_json:
        emit_json(found)
        return
    note(message)
    for filename in found["files"]:
        typer.echo(filename)


def delete(
    ref: FeedRefArg,
    name: PackageArg,
    version: VersionArg,
    reason: Annotated[
        str | None,
        typer.Option("--reason", help="Why (at most 512 characters); the audit log keeps it."),
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


def restore(
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


def purge(
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
    with connect(server, token) as client:
        found = client.delete(url)
    _show(
        found,
        as_json,
        f"Purged {found['package']} {found['version']} from {ref} for good: its files are "
        "gone and their names can never be published to this feed again.",
    )


def recycle_bin(
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


def register(_root: typer.Typer) -> None:
    """Add the commands to ``quiver package``."""
    packages.app.command("delete")(delete)
    packages.app.command("restore")(restore)
    packages.app.command("purge")(purge)
    packages.app.command("recycle-bin")(recycle_bin)
