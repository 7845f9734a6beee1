"""``quiver package``: what a feed holds, where each file came from, yanking, upstream
behaviour."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from quiver.cli.client import feed_path, path
from quiver.cli.commands._common import (
    FeedRefArg,
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

PackageArg = Annotated[
    str, typer.Argument(metavar="NAME", help="Package name.", show_default=False)
]
VersionArg = Annotated[
    str, typer.Argument(metavar="VERSION", help="Version (PEP 440).", show_default=False)
]


def package_url(ref: str, name: str, *parts: str) -> str:
    """The REST address of package ``name`` in feed ``ref``, with ``parts`` appended."""
    with guarded():
        return feed_path(ref) + "/packages" + path(name, *parts)


def version_text(version: dict[str, Any]) -> str:
    """``2.0``, ``2.0 yanked`` or ``2.0 yanked (reason)``."""
    if not version["yanked"]:
        return str(version["version"])
    reason = version.get("yanked_reason")
    return f"{version['version']} yanked" + (f" ({reason})" if reason else "")


def origin_text(file: dict[str, Any]) -> str:
    """``local (by alice)`` or ``saved from NAME (URL) at TIME``."""
    if file["origin"] == "local":
        return f"local (by {file['uploaded_by']})" if file.get("uploaded_by") else "local"
    source = file.get("upstream") or "an upstream source"
    if file.get("source_url"):
        source += f" ({file['source_url']})"
    return f"saved from {source} at {when(file.get('saved_at') or file['uploaded_at'])}"


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
    url = package_url(ref, name, "versions")
    with connect(server, token) as client:
        found = client.get(url)
    if as_json:
        emit_json(found)
        return
    note(f"{found['name']} in {found['feed']}; upstream behaviour: {found['upstream_behavior']}.")
    rows = [
        [
            version_text(version),
            ", ".join(version.get("views") or []) or "-",
            file["filename"],
            origin_text(file),
            downloads_text(file),
        ]
        for version in found["versions"]
        for file in version["files"]
    ]
    table(
        ["VERSION", "VIEWS", "FILE", "ORIGIN", "DOWNLOADS"],
        rows,
        empty=f"No versions of {name} in {ref}.",
        keep_whole=[True, True, True, False, True],
    )


def downloads_text(file: dict[str, Any]) -> str:
    """``12 (last 2026-01-02 10:00)``, or ``0``."""
    count = int(file.get("download_count") or 0)
    last = file.get("last_download_at")
    return f"{count} (last {when(last)})" if last else str(count)


@app.command("yank")
def yank(
    ref: FeedRefArg,
    name: PackageArg,
    version: VersionArg,
    reason: Annotated[
        str | None,
        typer.Option("--reason", help="Why (at most 512 characters); installers show it."),
    ] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Yank a version (PEP 592): pip and uv skip it unless it is pinned exactly (contributors).

    Every file of the version is yanked. Yanking it again replaces the reason.
    """
    body: dict[str, Any] = {} if reason is None else {"reason": reason}
    _version_action(ref, name, version, "yank", body, "Yanked", (server, token, as_json))


@app.command("unyank")
def unyank(
    ref: FeedRefArg,
    name: PackageArg,
    version: VersionArg,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Un-yank a version, so installers choose it again (contributors)."""
    _version_action(ref, name, version, "unyank", {}, "Un-yanked", (server, token, as_json))


def _version_action(
    ref: str,
    name: str,
    version: str,
    action: str,
    body: dict[str, Any],
    done: str,
    options: tuple[str | None, str | None, bool],
) -> None:
    """POST ``.../versions/{version}/{action}`` and show the version it answers with."""
    server, token, as_json = options
    url = package_url(ref, name, "versions", version, action)
    with connect(server, token) as client:
        found = client.post(url, body)
    if as_json:
        emit_json(found)
        return
    note(f"{done} {name} {found['version']} in {ref}.")
    typer.echo(version_text(found))


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
    url = package_url(ref, name, "upstreaming")
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


# --- views: promote and demote (quiver.cli.commands.views manages the views) ---------------

_PromotedVersionArg = Annotated[
    str, typer.Argument(metavar="VERSION", help="The version (PEP 440).", show_default=False)
]
_PromotionViewArg = Annotated[
    str,
    typer.Argument(metavar="VIEW", help="A view of the feed, e.g. release.", show_default=False),
]


def _promotion(
    action: str,
    ref: str,
    name: str,
    version: str,
    view: str,
    server: str | None,
    token: str | None,
    as_json: bool,
) -> None:
    url = package_url(ref, name, "versions", version, action)
    with connect(server, token) as client:
        found = client.post(url, {"view": view})
    if as_json:
        emit_json(found)
        return
    where = "to" if action == "promote" else "from"
    target = f"{ref}@{found['view']}"
    note(f"{action.capitalize()}d {found['name']} {found['version']} {where} {target}.")


@app.command("promote")
def promote(
    ref: FeedRefArg,
    name: PackageArg,
    version: _PromotedVersionArg,
    view: _PromotionViewArg,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Promote a version to a view, so installs from FEED@VIEW see it (contributors)."""
    _promotion("promote", ref, name, version, view, server, token, as_json)


@app.command("demote")
def demote(
    ref: FeedRefArg,
    name: PackageArg,
    version: _PromotedVersionArg,
    view: _PromotionViewArg,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Take a version out of a view; it stays in the feed (feed owners)."""
    _promotion("demote", ref, name, version, view, server, token, as_json)
