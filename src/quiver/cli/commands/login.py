"""``quiver login`` and ``quiver logout``: remember a server and token for later commands."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from quiver.cli.client import Client, ClientError, normalize_server, redact
from quiver.cli.commands._common import EXIT_USAGE, fail, note
from quiver.cli.credentials import delete_credentials, save_credentials


def login(
    server: Annotated[str, typer.Argument(help="Server URL, e.g. https://quiver.example.com")],
    token: Annotated[
        str | None,
        typer.Option(
            "--token", help="Personal access token ('-' reads it from stdin).", show_default=False
        ),
    ] = None,
) -> None:
    """Check a token against SERVER and save both for later commands."""
    if token is None:
        fail(
            "Interactive login is not available yet: run 'quiver login --token TOKEN SERVER' "
            "(--token - reads the token from stdin).",
            EXIT_USAGE,
        )
    if token == "-":  # noqa: S105 (the stdin marker, not a secret)
        token = sys.stdin.readline().strip()
    if not token.strip():
        fail("The token is empty.", EXIT_USAGE)
    try:
        base = normalize_server(server)
        with Client(base, token.strip()) as client:
            me = client.get("/_apis/users/me")
    except ClientError as err:
        fail(err.message, err.exit_code)
    path = save_credentials(base, token.strip())
    note(f"Logged in to {redact(base)} as {me['username']}; credentials saved in {path}.")


def logout() -> None:
    """Forget the server and token 'quiver login' saved."""
    if delete_credentials():
        note("Logged out: the saved credentials are removed.")
    else:
        note("Not logged in: no saved credentials.")


def register(app: typer.Typer) -> None:
    app.command("login")(login)
    app.command("logout")(logout)
