"""``quiver permission``: who holds which role on a feed."""

from __future__ import annotations

from typing import Annotated

import typer

from quiver.cli.client import feed_path, path
from quiver.cli.commands._common import (
    FeedRefArg,
    JsonOpt,
    ServerOpt,
    TokenOpt,
    connect,
    listing,
    note,
)
from quiver.domain.roles import Role

app = typer.Typer(help="Roles of users on a feed (feed owners).", no_args_is_help=True)

UserArg = Annotated[str, typer.Argument(help="User name.", show_default=False)]
_ROLES = [role.label for role in Role if role > Role.NONE]


@app.command("set")
def set_(
    ref: FeedRefArg,
    user: UserArg,
    role: Annotated[
        str,
        typer.Argument(help=f"{', '.join(_ROLES[:-1])} or {_ROLES[-1]}.", show_default=False),
    ],
    server: ServerOpt = None,
    token: TokenOpt = None,
) -> None:
    """Give USER the ROLE on the feed (replacing any role they had)."""
    with connect(server, token) as client:
        granted = client.put(feed_path(ref) + "/permissions" + path(user), {"role": role})
    note(f"{granted['username']} is now {granted['role']} on {ref}.")


@app.command("list")
def list_(
    ref: FeedRefArg, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Explicit roles on the feed."""
    with connect(server, token) as client:
        roles = client.get(feed_path(ref) + "/permissions")
    listing(roles, [("USER", "username"), ("ROLE", "role")], as_json=as_json, empty="No roles.")


@app.command("remove")
def remove(
    ref: FeedRefArg, user: UserArg, server: ServerOpt = None, token: TokenOpt = None
) -> None:
    """Take USER's role on the feed away."""
    with connect(server, token) as client:
        client.delete(feed_path(ref) + "/permissions" + path(user))
    note(f"Removed {user}'s role on {ref}.")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="permission")
