"""``quiver feed``: create, list, show and delete feeds."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from quiver.cli.client import feed_path, feeds_path, split_new_ref
from quiver.cli.commands import upstreams
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
    when,
)

app = typer.Typer(
    help="Feeds: where packages are published and installed from.", no_args_is_help=True
)

SHOWN = [
    ("Feed", "ref"),
    ("Description", "description"),
    ("Visibility", "visibility"),
    ("Your role", "your_role"),
    ("Readers can save", "readers_can_save"),
    ("Created", "created_at"),
    ("Index URL", "index_url"),
    ("Upload URL", "upload_url"),
]


@app.command("create")
def create(
    ref: FeedRefArg,
    description: Annotated[str | None, typer.Option(help="What the feed holds.")] = None,
    visibility: Annotated[
        str, typer.Option(help="private, organization (every member reads) or public.")
    ] = "private",
    upstream: Annotated[
        list[str] | None,
        typer.Option(
            "--upstream",
            metavar="NAME=SOURCE",
            help="An upstream source, in order (repeatable): NAME=URL, NAME=pypi, "
            "NAME=ORG/FEED@VIEW, or pypi alone. Add sources that need a password "
            "later with 'quiver feed upstream add'.",
            show_default=False,
        ),
    ] = None,
    readers_can_save: Annotated[
        bool,
        typer.Option(
            "--readers-can-save/--no-readers-can-save",
            help="Let readers, not only collaborators and up, save from upstream sources.",
        ),
    ] = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a feed: ORG/FEED in an organization, ORG/PROJECT/FEED in a project."""
    with guarded():
        scope, name = split_new_ref(ref)
    body: dict[str, Any] = {"name": name, "visibility": visibility}
    if description is not None:
        body["description"] = description
    if readers_can_save:
        body["readers_can_save"] = True
    if upstream:
        body["upstreams"] = [upstreams.parse_upstream_option(item) for item in upstream]
    with connect(server, token) as client:
        feed = client.post(scope + "/_apis/packaging/feeds", body)
        added = client.get(feed_path(feed["ref"]) + "/upstreams") if upstream else []
    note(f"Created feed {feed['ref']}.")
    for item in added:
        note(f"Upstream source {item['position']}: {item['name']} ({item['url'] or item['feed']}).")
    details(feed, SHOWN, as_json=as_json)


@app.command("update")
def update(
    ref: FeedRefArg,
    description: Annotated[
        str | None,
        typer.Option(help="What the feed holds ('' clears it).", show_default=False),
    ] = None,
    visibility: Annotated[
        str | None,
        typer.Option(help="private, organization or public.", show_default=False),
    ] = None,
    readers_can_save: Annotated[
        bool | None,
        typer.Option(
            "--readers-can-save/--no-readers-can-save",
            help="Whether readers, not only collaborators and up, save from upstream sources.",
            show_default=False,
        ),
    ] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a feed's description, visibility or readers-can-save setting (feed owners)."""
    with guarded():
        url = feed_path(ref)
    body: dict[str, Any] = {}
    if description is not None:
        body["description"] = description or None
    if visibility is not None:
        body["visibility"] = visibility
    if readers_can_save is not None:
        body["readers_can_save"] = readers_can_save
    if not body:
        fail(
            "Nothing to change: give --description, --visibility or "
            "--readers-can-save/--no-readers-can-save.",
            EXIT_USAGE,
        )
    with connect(server, token) as client:
        feed = client.patch(url, body)
    note(f"Updated feed {feed['ref']}.")
    details(feed, SHOWN, as_json=as_json)


@app.command("list")
def list_(
    scope: Annotated[
        str, typer.Argument(metavar="ORG[/PROJECT]", help="Where to look.", show_default=False)
    ],
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The feeds of an organization (or project) you can read."""
    with connect(server, token) as client:
        feeds = client.get(feeds_path(scope))
    columns = [
        ("FEED", "ref"),
        ("VISIBILITY", "visibility"),
        ("YOUR ROLE", "your_role"),
        ("DESCRIPTION", "description"),
    ]
    listing(feeds, columns, as_json=as_json, empty=f"No feeds you can read in {scope}.")


@app.command("show")
def show(
    ref: FeedRefArg, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """A feed's settings, your role on it, and the URLs for pip, uv and twine."""
    with connect(server, token) as client:
        feed = client.get(feed_path(ref))
    details(feed, SHOWN, as_json=as_json)


@app.command("delete")
def delete(
    ref: FeedRefArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
) -> None:
    """Move a feed to the recycle bin (feed owners): reads and writes are refused and its
    name stays reserved until an owner restores it ('quiver feed restore') or purges it
    ('quiver feed purge'); the server purges it after the recycle-bin period."""
    with guarded():
        url = feed_path(ref)
    if not yes:
        if not sys.stdin.isatty():
            fail(f"Refusing to delete feed {ref} without --yes: no terminal to ask.", EXIT_USAGE)
        if not typer.confirm(f"Move feed {ref} to the recycle bin?", err=True):
            fail("Not deleted.", EXIT_REFUSED)
    with connect(server, token) as client:
        found = client.delete(url)
    name = found["ref"]
    note(
        f"Moved feed {name} to the recycle bin: reads and writes are refused and its name "
        f"stays reserved. Restore it with `quiver feed restore {name}` until "
        f"{when(found['purge_after'])} UTC, when it is purged for good."
    )


app.add_typer(upstreams.app, name="upstream")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="feed")
