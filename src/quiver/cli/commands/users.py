"""``quiver user``: users of the server (administrators create them)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from quiver.cli.client import path
from quiver.cli.commands._common import (
    EXIT_USAGE,
    JsonOpt,
    ServerOpt,
    TokenOpt,
    connect,
    fail,
    listing,
    note,
)

app = typer.Typer(help="Users of the server.", no_args_is_help=True)


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="User name.", show_default=False)],
    admin: Annotated[bool, typer.Option("--admin", help="Make a server administrator.")] = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
) -> None:
    """Create a user (administrators); then 'quiver token create --user NAME' for them."""
    with connect(server, token) as client:
        user = client.post("/_apis/users", {"username": name, "is_admin": admin})
    kind = "administrator" if user["is_admin"] else "user"
    note(f"Created {kind} {user['username']}.")


@app.command("list")
def list_(server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False) -> None:
    """All users (administrators); others see themselves."""
    with connect(server, token) as client:
        users = client.get("/_apis/users")
    columns = [("USER", "username"), ("ADMIN", "is_admin"), ("CREATED", "created_at")]
    listing(users, columns, as_json=as_json, empty="No users.")


@app.command("set-password")
def set_password(
    name: Annotated[str, typer.Argument(help="User name.", show_default=False)],
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from stdin (one line)."),
    ] = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
) -> None:
    """Set a user's password (administrators; users their own), for 'quiver login'.

    The password is asked for twice without echo, or read from stdin with
    --password-stdin; never from the command line. 8-1024 characters.
    """
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    if not password:
        fail("The password is empty.", EXIT_USAGE)
    with connect(server, token) as client:
        client.put(path("_apis", "users", name, "password"), {"password": password})
    note(f"Password set for {name}.")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="user")
