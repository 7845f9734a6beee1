"""``quiver feed upstream``: a feed's upstream sources (feed owners).

A source is an index URL (``https://.../simple/``), ``pypi`` (the server's
setting for the public index), or another feed of the server, ``ORG/FEED@VIEW``.
Passwords never go on the command line: ``--password-env VAR`` or
``--password-stdin``.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer
from rich.markup import escape

from quiver.cli.client import feed_path, path
from quiver.cli.commands._common import (
    EXIT_USAGE,
    FeedRefArg,
    JsonOpt,
    ServerOpt,
    TokenOpt,
    connect,
    emit_json,
    fail,
    guarded,
    note,
    table,
    when,
)

app = typer.Typer(
    help="Upstream sources of a feed: where packages not published to it come from (feed owners).",
    no_args_is_help=True,
)

NameArg = Annotated[str, typer.Argument(help="The upstream source's name.", show_default=False)]


def source_body(name: str, source: str) -> dict[str, Any]:
    """The REST body for an upstream: ``url`` for an index or ``pypi``, else ``feed``.

    Refuses (exit 2) a password in a URL: it would show in the process list.
    """
    source = source.strip()
    if not source:
        fail(f"Upstream source {name}: the source is empty.", EXIT_USAGE)
    if source.casefold() == "pypi" or "://" in source:
        try:
            password = urlsplit(source).password
        except ValueError:
            password = None
        if password:
            fail(
                "Do not put a password in the upstream URL (it shows in the process list): "
                "use 'quiver feed upstream add' with --username and --password-env or "
                "--password-stdin.",
                EXIT_USAGE,
            )
        return {"name": name, "url": source}
    return {"name": name, "feed": source}


def parse_upstream_option(value: str) -> dict[str, Any]:
    """``NAME=URL``, ``NAME=pypi``, ``NAME=ORG/FEED@VIEW``, or ``pypi`` alone."""
    name, sep, source = value.partition("=")
    if not sep:
        if value.strip().casefold() == "pypi":
            return source_body("pypi", "pypi")
        fail(
            f"Invalid --upstream {value!r}: use NAME=URL, NAME=pypi, NAME=ORG/FEED@VIEW or pypi.",
            EXIT_USAGE,
        )
    if not name.strip():
        fail(f"Invalid --upstream {value!r}: the name before '=' is empty.", EXIT_USAGE)
    return source_body(name.strip(), source)


def health_cell(item: dict[str, Any]) -> str:
    """The HEALTH column: ``ok`` and the last refresh, or ``error``, when and why.

    A feed of this server has nothing to fetch (``local``); a source nothing was
    fetched from yet is ``unchecked``. An error the source has recovered from shows
    in ``--json`` (``last_error``) only.
    """
    health = item.get("health") or "-"
    if health == "ok":
        return f"ok, refreshed {when(item.get('last_ok_at'))} UTC"
    if health == "error":
        return f"error at {when(item.get('last_error_at'))} UTC: {item.get('last_error')}"
    return str(health)


def upstream_rows(upstreams: list[dict[str, Any]]) -> list[list[Any]]:
    # Upstream text goes to rich: brackets (an IPv6 host, an error) are not markup.
    return [
        [
            item["position"],
            escape(item["name"]),
            item["kind"],
            escape(item["url"] or item["feed"]),
            escape(item["username"] or "yes") if item["has_credentials"] else None,
            escape(health_cell(item)),
        ]
        for item in upstreams
    ]


def show_upstreams(upstreams: list[dict[str, Any]], *, as_json: bool, empty: str) -> None:
    if as_json:
        emit_json(upstreams)
        return
    table(
        ["#", "NAME", "KIND", "SOURCE", "CREDENTIALS", "HEALTH"],
        upstream_rows(upstreams),
        empty=empty,
        keep_whole=[True, True, True, True, False, False],
    )


def read_password(password_env: str | None, password_stdin: bool) -> str | None:
    if password_env is not None and password_stdin:
        fail("Give --password-env or --password-stdin, not both.", EXIT_USAGE)
    if password_env is not None:
        value = os.environ.get(password_env)
        if not value:
            fail(f"The environment variable {password_env} is not set or empty.", EXIT_USAGE)
        return value
    if password_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
        if not value:
            fail("No password on stdin.", EXIT_USAGE)
        return value
    return None


@app.command("add")
def add(
    ref: FeedRefArg,
    name: NameArg,
    source: Annotated[
        str,
        typer.Argument(
            metavar="SOURCE",
            help="An index URL (https://HOST/.../simple/), pypi, or ORG/FEED@VIEW of this server.",
            show_default=False,
        ),
    ],
    username: Annotated[
        str | None, typer.Option(help="User name for the index.", show_default=False)
    ] = None,
    password_env: Annotated[
        str | None,
        typer.Option(
            "--password-env",
            metavar="VAR",
            help="Read the index password from this environment variable.",
            show_default=False,
        ),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the index password from stdin.")
    ] = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add an upstream source at the end of the feed's list (at most 20)."""
    with guarded():
        url = feed_path(ref) + "/upstreams"
    body = source_body(name, source)
    password = read_password(password_env, password_stdin)
    # Credentials for a feed source are refused by the server (the rule lives there).
    if username is not None:
        body["username"] = username
    if password is not None:
        body["password"] = password
    with connect(server, token) as client:
        added = client.post(url, body)
    where = added["url"] or added["feed"]
    note(
        f"Added upstream source {added['name']} ({where}) to {ref} at position {added['position']}."
    )
    if as_json:
        emit_json(added)


@app.command("list")
def list_(
    ref: FeedRefArg, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """The feed's upstream sources, in the order they are consulted, with their health.

    HEALTH: ok and the last refresh from the index, error with when and why, unchecked
    (nothing fetched yet) or local (a feed of this server). --json has last_ok_at,
    last_error_at and last_error (the last error is kept after the source recovers).
    """
    with guarded():
        url = feed_path(ref) + "/upstreams"
    with connect(server, token) as client:
        found = client.get(url)
    show_upstreams(found, as_json=as_json, empty=f"Feed {ref} has no upstream sources.")


@app.command("remove")
def remove(
    ref: FeedRefArg, name: NameArg, server: ServerOpt = None, token: TokenOpt = None
) -> None:
    """Remove an upstream source; files already saved from it stay in the feed."""
    with guarded():
        url = feed_path(ref) + "/upstreams" + path(name)
    with connect(server, token) as client:
        client.delete(url)
    note(f"Removed upstream source {name} from {ref}.")


@app.command("move")
def move(
    ref: FeedRefArg,
    name: NameArg,
    position: Annotated[
        int,
        typer.Argument(help="The new place in the list; 1 is consulted first.", show_default=False),
    ],
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Move an upstream source to POSITION (1-based) and show the new order."""
    with guarded():
        url = feed_path(ref) + "/upstreams" + path(name) + "/move"
    with connect(server, token) as client:
        found = client.post(url, {"position": position})
    note(f"Moved upstream source {name} of {ref} to position {position}.")
    show_upstreams(found, as_json=as_json, empty=f"Feed {ref} has no upstream sources.")
