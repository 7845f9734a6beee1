"""``quiver user``: users of the server (administrators create, disable, enable, delete them)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from quiver.cli.client import path
from quiver.cli.commands._common import (
    EXIT_REFUSED,
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
    """All users (administrators); others see themselves. DISABLED: since when, or '-'."""
    with connect(server, token) as client:
        users = client.get("/_apis/users")
    columns = [
        ("USER", "username"),
        ("ADMIN", "is_admin"),
        ("CREATED", "created_at"),
        ("DISABLED", "disabled_at"),
    ]
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


@app.command("disable")
def disable(
    name: Annotated[str, typer.Argument(help="User name.", show_default=False)],
    server: ServerOpt = None,
    token: TokenOpt = None,
) -> None:
    """Disable a user (administrators): their tokens and password stop working at once.

    Not yourself, nor the last active administrator. 'quiver user enable' undoes it.
    """
    with connect(server, token) as client:
        user = client.post(path("_apis", "users", name, "disable"), {})
    note(f"Disabled {user['username']}: their tokens and password are refused.")


@app.command("enable")
def enable(
    name: Annotated[str, typer.Argument(help="User name.", show_default=False)],
    server: ServerOpt = None,
    token: TokenOpt = None,
) -> None:
    """Enable a disabled user again (administrators): their valid tokens work again."""
    with connect(server, token) as client:
        user = client.post(path("_apis", "users", name, "enable"), {})
    note(f"Enabled {user['username']}.")


@app.command("delete")
def delete(
    name: Annotated[str, typer.Argument(help="User name.", show_default=False)],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
) -> None:
    """Delete a user for good (administrators), with their tokens, memberships and roles.

    The audit log keeps their name. Not yourself, nor the last active administrator.
    This cannot be undone: 'quiver user disable' can be.
    """
    if not yes:
        if not sys.stdin.isatty():
            fail(f"Refusing to delete user {name} without --yes: no terminal to ask.", EXIT_USAGE)
        if not typer.confirm(f"Delete user {name} and their tokens for good?", err=True):
            fail("Not deleted.", EXIT_REFUSED)
    with connect(server, token) as client:
        client.delete(path("_apis", "users", name))
    note(f"Deleted user {name}.")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="user")
