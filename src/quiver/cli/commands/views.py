"""``quiver view``: list, create, rename and delete the views of a feed."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from quiver.cli.client import ConfigError, feed_path, path
from quiver.cli.commands import packages
from quiver.cli.commands._common import (
    FeedRefArg,
    JsonOpt,
    ServerOpt,
    TokenOpt,
    connect,
    details,
    emit_json,
    guarded,
    listing,
    note,
)

app = typer.Typer(
    help="Views of a feed: local (every version), and the versions promoted to each other view.",
    no_args_is_help=True,
)

ViewArg = Annotated[str, typer.Argument(metavar="VIEW", help="View name.", show_default=False)]
VisibilityOpt = Annotated[
    str | None,
    typer.Option(
        help="private, organization (every member of the organization reads the view) or "
        "public (anyone reads it); 'feed' (with rename) goes back to the feed's. "
        "A view's visibility only widens who reads it.",
        show_default=False,
    ),
]
SHOWN = [
    ("View", "name"),
    ("Visibility", "visibility"),
    ("Who reads it", "effective_visibility"),
    ("Versions", "versions"),
    ("Created", "created_at"),
]
COLUMNS = [
    ("VIEW", "name"),
    ("VISIBILITY", "visibility"),
    ("WHO READS IT", "effective_visibility"),
    ("VERSIONS", "versions"),
    ("CREATED", "created_at"),
]


def _shown(view: dict[str, Any]) -> dict[str, Any]:
    return {**view, "visibility": view["visibility"] or "(the feed's)"}


@app.command("list")
def list_(
    ref: FeedRefArg, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """The views of a feed (readers)."""
    with guarded():
        url = feed_path(ref) + "/views"
    with connect(server, token) as client:
        found = client.get(url)
    shown = found if as_json else [_shown(view) for view in found]
    listing(shown, COLUMNS, as_json=as_json, empty=f"Feed {ref} has no views.")


@app.command("create")
def create(
    ref: FeedRefArg,
    name: ViewArg,
    visibility: VisibilityOpt = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add an empty view to a feed (feed owners); promote versions to it afterwards."""
    body: dict[str, Any] = {"name": name}
    if visibility is not None:
        body["visibility"] = visibility
    with guarded():
        url = feed_path(ref) + "/views"
    with connect(server, token) as client:
        found = client.post(url, body)
    note(f"Created view {found['name']} of feed {ref}.")
    details(found if as_json else _shown(found), SHOWN, as_json=as_json)


@app.command("rename")
def rename(
    ref: FeedRefArg,
    name: ViewArg,
    new_name: Annotated[
        str | None,
        typer.Argument(metavar="[NEW_NAME]", help="The view's new name.", show_default=False),
    ] = None,
    visibility: VisibilityOpt = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Rename a view and/or set its visibility (feed owners); local is fixed."""
    body: dict[str, Any] = {}
    if new_name is not None:
        body["name"] = new_name
    if visibility is not None:
        body["visibility"] = None if visibility.strip().lower() == "feed" else visibility
    with guarded():
        if not body:
            raise ConfigError("Give NEW_NAME, --visibility, or both.")
        url = feed_path(ref) + "/views" + path(name)
    with connect(server, token) as client:
        found = client.patch(url, body)
    note(f"Updated view {found['name']} of feed {ref}.")
    details(found if as_json else _shown(found), SHOWN, as_json=as_json)


@app.command("delete")
def delete(
    ref: FeedRefArg, name: ViewArg, server: ServerOpt = None, token: TokenOpt = None
) -> None:
    """Delete a view (feed owners); its versions stay in the feed."""
    with guarded():
        url = feed_path(ref) + "/views" + path(name)
    with connect(server, token) as client:
        client.delete(url)
    note(f"Deleted view {name} of feed {ref}.")


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
    url = packages.package_url(ref, name, "versions", version, action)
    with (
        connect(server, token) as client,
        packages.hinted(packages.restore_hinted(ref, name, version)),
    ):
        found = client.post(url, {"view": view})
    if as_json:
        emit_json(found)
        return
    where = "to" if action == "promote" else "from"
    target = f"{ref}@{found['view']}"
    note(f"{action.capitalize()}d {found['name']} {found['version']} {where} {target}.")


def promote(
    ref: FeedRefArg,
    name: packages.PackageArg,
    version: _PromotedVersionArg,
    view: _PromotionViewArg,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Promote a version to a view, so installs from FEED@VIEW see it (contributors)."""
    _promotion("promote", ref, name, version, view, server, token, as_json)


def demote(
    ref: FeedRefArg,
    name: packages.PackageArg,
    version: _PromotedVersionArg,
    view: _PromotionViewArg,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Take a version out of a view; it stays in the feed (feed owners)."""
    _promotion("demote", ref, name, version, view, server, token, as_json)


def register(root: typer.Typer) -> None:
    """``quiver view`` and, on ``quiver package``, promote and demote."""
    root.add_typer(app, name="view")
    packages.app.command("promote")(promote)
    packages.app.command("demote")(demote)
