"""``quiver package``: what a feed holds, where each file came from, upstream behaviour."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from quiver.cli.client import feed_path, path
from quiver.cli.commands._common import (
    JsonOpt,
    ServerOpt,
    TokenOpt,
    connect,
    emit_json,
    guarded,
    listing,
    note,
    table,
    when,
)

app = typer.Typer(help="Packages in a feed.", no_args_is_help=True)

FeedRefArg = Annotated[
    str, typer.Argument(metavar="FEEDREF", help="ORG/FEED or ORG/PROJECT/FEED.", show_default=False)
]
PackageArg = Annotated[
    str, typer.Argument(metavar="NAME", help="Package name.", show_default=False)
]


def origin_text(file: dict[str, Any]) -> str:
    """``local (by alice)`` or ``saved from NAME (URL) at TIME``."""
    if file["origin"] == "local":
        return f"local (by {file['uploaded_by']})" if file.get("uploaded_by") else "local"
    source = file.get("upstream") or "an upstream source"
    if file.get("source_url"):
        source += f" ({file['source_url']})"
    return f"saved from {source} at {when(file['uploaded_at'])}"


@app.command("list")
def list_(
    ref: FeedRefArg, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """The packages in a feed, with how many versions and files each has."""
    with guarded():
        url = feed_path(ref) + "/packages"
    with connect(server, token) as client:
        found = client.get(url)
    columns = [
        ("PACKAGE", "name"),
        ("VERSIONS", "versions"),
        ("FILES", "files"),
        ("SAVED", "saved_files"),
        ("UPSTREAM BEHAVIOUR", "upstream_behavior"),
    ]
    listing(found, columns, as_json=as_json, empty=f"Feed {ref} has no packages.")


@app.command("versions")
def versions(
    ref: FeedRefArg,
    name: PackageArg,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every version of a package in the feed, each file published here or saved, and from where."""
    with guarded():
        url = feed_path(ref) + "/packages" + path(name) + "/versions"
    with connect(server, token) as client:
        found = client.get(url)
    if as_json:
        emit_json(found)
        return
    note(f"{found['name']} in {found['feed']}; upstream behaviour: {found['upstream_behavior']}.")
    rows = [
        [
            version["version"] + (" (yanked)" if version["yanked"] else ""),
            file["filename"],
            origin_text(file),
        ]
        for version in found["versions"]
        for file in version["files"]
    ]
    table(
        ["VERSION", "FILE", "ORIGIN"],
        rows,
        empty=f"No versions of {name} in {ref}.",
        keep_whole=[True, True, False],
    )


@app.command("upstreaming")
def upstreaming(
    ref: FeedRefArg,
    name: PackageArg,
    behavior: Annotated[
        str | None,
        typer.Argument(
            metavar="[allow-external-versions|default]",
            help="Set it (feed owners): default hides upstream versions once a version is "
            "published here; allow-external-versions shows them too. Without it: show it.",
            show_default=False,
        ),
    ] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show or set whether upstream versions of a published package are shown."""
    with guarded():
        url = feed_path(ref) + "/packages" + path(name) + "/upstreaming"
    with connect(server, token) as client:
        if behavior is None:
            found = client.get(url)
        else:
            found = client.put(url, {"behavior": behavior})
            note(f"Upstream behaviour of {found['name']} in {ref} is now {found['behavior']}.")
    if as_json:
        emit_json(found)
    else:
        typer.echo(found["behavior"])


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="package")
