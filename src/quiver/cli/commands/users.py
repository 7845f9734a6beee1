"""``quiver user``: users of the server (administrators create them)."""

from __future__ import annotations

from typing import Annotated

import typer

from quiver.cli.commands._common import JsonOpt, ServerOpt, TokenOpt, connect, listing, note

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


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="user")
