"""``quiver token``: personal access tokens.

``token create`` prints the secret alone on stdout, so ``T=$(quiver token create ...)``
captures exactly the token; everything else goes to stderr.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer

from quiver.cli.client import Client, ClientError, path
from quiver.cli.commands._common import (
    JsonOpt,
    ServerOpt,
    TokenOpt,
    emit_json,
    guarded,
    note,
    table,
    when,
)
from quiver.domain.roles import Scope

app = typer.Typer(help="Personal access tokens.", no_args_is_help=True)

UserOpt = Annotated[
    str | None,
    typer.Option("--user", help="Another user's tokens (administrators).", show_default=False),
]


MANAGE_HINT = "for example from 'quiver login --scope manage'"


@contextmanager
def managing(server: str | None, token: str | None) -> Iterator[Client]:
    """A client whose refusals become ``fail``; a refusal for want of a
    ``packaging:manage`` token also says how to get one."""
    with guarded(), Client.from_options(server, token) as client:
        try:
            yield client
        except ClientError as err:
            if err.status != 403 or f"needs a {Scope.MANAGE.label} token" not in err.message:
                raise
            hinted = f"{err.message.rstrip('.')} ({MANAGE_HINT})."
            raise ClientError(hinted, err.status, err.data) from None


@app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", help="What the token is for.", show_default=False)],
    scope: Annotated[
        str,
        typer.Option(help=f"{Scope.READ.label}, {Scope.WRITE.label} or {Scope.MANAGE.label}."),
    ] = Scope.READ.label,
    user: Annotated[
        str | None,
        typer.Option(
            "--user", help="Create it for this user (administrators).", show_default=False
        ),
    ] = None,
    feed: Annotated[
        list[str] | None,
        typer.Option(
            "--feed",
            metavar="FEEDREF",
            help="Limit the token to this feed (ORG/FEED or ORG/PROJECT/FEED); repeatable.",
            show_default=False,
        ),
    ] = None,
    expires_in_days: Annotated[
        int | None,
        typer.Option(
            help="Days until it expires (default: never); never later than the token "
            "used to create it.",
            min=1,
        ),
    ] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
) -> None:
    """Create a token and print it (only it) on stdout; it is not shown again."""
    body: dict[str, Any] = {"name": name, "scope": scope, "feeds": feed or []}
    if user is not None:
        body["user"] = user
    if expires_in_days is not None:
        body["expires_in_days"] = expires_in_days
    with managing(server, token) as client:
        created = client.post("/_apis/tokens", body)
    limits = f", limited to {', '.join(created['feeds'])}" if created["feeds"] else ""
    expiry = f", expires {created['expires_at'][:10]}" if created["expires_at"] else ""
    if created["expires_at"] and _capped(created["expires_at"], expires_in_days):
        expiry += " with the token that created it"
    note(
        f"Created token {created['id']} ({created['scope']}{limits}{expiry}) for "
        f"{created['user']}. Store it now: it is not shown again."
    )
    typer.echo(created["token"])


def _capped(expires_at: str, asked_days: int | None) -> bool:
    """Whether the server set an earlier expiry than asked for (the creator's)."""
    if asked_days is None:
        return True
    asked = datetime.now(UTC) + timedelta(days=asked_days, minutes=-1)
    return datetime.fromisoformat(expires_at) < asked


@app.command("list")
def list_(
    user: UserOpt = None, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Your tokens (never their secrets); administrators may name another --user."""
    with managing(server, token) as client:
        tokens = client.get("/_apis/tokens", user=user)
    if as_json:
        emit_json(tokens)
        return
    columns = ["ID", "NAME", "TOKEN", "SCOPE", "FEEDS", "EXPIRES", "USED", "STATUS"]
    rows = [
        [
            t["id"],
            t["name"],
            t["hint"],
            t["scope"].removeprefix("packaging:"),
            t["feeds"] or "all",
            when(t["expires_at"])[:10],
            when(t["last_used_at"])[:10],
            status(t),
        ]
        for t in tokens
    ]
    keep = [True, False, False, True, False, True, True, True]
    table(columns, rows, empty="No tokens.", keep_whole=keep)


def status(token: dict[str, Any]) -> str:
    if token["revoked_at"]:
        return "revoked"
    expires = token["expires_at"]
    if expires and datetime.fromisoformat(expires) <= datetime.now(UTC):
        return "expired"
    return "active"


@app.command("revoke")
def revoke(
    token_id: Annotated[int, typer.Argument(metavar="ID", help="The token's ID (token list).")],
    server: ServerOpt = None,
    token: TokenOpt = None,
) -> None:
    """Revoke a token at once."""
    with managing(server, token) as client:
        client.delete(path("_apis", "tokens", token_id))
    note(f"Revoked token {token_id}.")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="token")
