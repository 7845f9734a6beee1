"""``quiver login`` and ``quiver logout``: keep a server and token for later commands.

``quiver login SERVER`` runs the device login: it shows a URL and a code, the
person approves in a browser, and the new token goes to the credential store
(system keyring when one works, else a 0600 file; docs/guide/login.md).
``--token T`` (``-``: from stdin) skips the browser.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import webbrowser
from typing import Annotated

import typer
from rich.console import Console

from quiver.cli import login_flow as devicelogin
from quiver.cli.client import Client, ClientError, ConfigError, normalize_server, path, redact
from quiver.cli.commands._common import EXIT_USAGE, fail, guarded, note
from quiver.cli.credentials import delete_credentials, load_credentials, save_credentials
from quiver.domain.devicecodes import CLIENT_NAME_MAX, DEFAULT_TOKEN_DAYS
from quiver.domain.roles import Scope
from quiver.domain.tokens import MAX_TOKEN_DAYS

EXIT_INTERRUPTED = 130
SCOPES = tuple(scope.label for scope in Scope)

ServerArg = Annotated[
    str | None,
    typer.Argument(
        help="Server URL, e.g. https://quiver.example.com (default: QUIVER_SERVER, "
        "else the saved default server).",
        show_default=False,
    ),
]


def login(
    server: ServerArg = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            help="Use this token instead of a browser ('-' reads it from stdin).",
            show_default=False,
        ),
    ] = None,
    scope: Annotated[
        str, typer.Option(help="Scope of the new token: packaging:read, write or manage.")
    ] = Scope.WRITE.label,
    expires_in_days: Annotated[
        int,
        typer.Option(help="Lifetime of the new token in days.", min=1, max=MAX_TOKEN_DAYS),
    ] = DEFAULT_TOKEN_DAYS,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Only print the URL; do not open a browser.")
    ] = False,
) -> None:
    """Sign in to SERVER in a browser (or with --token) and save the token for later commands."""
    with guarded():
        base = _login_server(server)
        if token is None:
            token = _device_login(base, _scope(scope), expires_in_days, browser=not no_browser)
        else:
            token = _read_token(token)
        with Client(base, token) as client:
            me = client.get("/_apis/users/me")
    try:
        where = save_credentials(base, token, me["username"])
    except (OSError, ValueError) as err:
        fail(f"Cannot save the credentials: {err}", EXIT_USAGE)
    note(f"Logged in to {redact(base)} as {me['username']} (token kept in {where}).")


def _login_server(server: str | None) -> str:
    """SERVER, else QUIVER_SERVER, else the saved default server."""
    given = server or os.environ.get("QUIVER_SERVER", "").strip()
    if given:
        return normalize_server(given)
    stored = load_credentials()
    if stored is None:
        raise ConfigError("Name the server: quiver login SERVER.")
    return stored[0]


def _scope(scope: str) -> str:
    text = scope.strip().lower()
    full = text if text.startswith("packaging:") else f"packaging:{text}"
    if full not in SCOPES:
        raise ConfigError(f"Unknown scope {scope!r}: use {', '.join(SCOPES)}.")
    return full


def _read_token(token: str) -> str:
    if token == "-":  # noqa: S105 (the stdin marker, not a secret)
        token = sys.stdin.readline()
    if not token.strip():
        raise ConfigError("The token is empty.")
    return token.strip()


def _device_login(base: str, scope: str, days: int, *, browser: bool) -> str:
    """Run the device login against ``base``; the new token. Ctrl-C exits with 130."""
    client_name = f"quiver CLI on {socket.gethostname()}"[:CLIENT_NAME_MAX]
    try:
        with Client(base) as client:
            started = devicelogin.start(
                client, scope=scope, expires_in_days=days, client_name=client_name
            )
            note(f"Open {started.verification_uri} and enter the code {started.user_code}")
            note(f"  (or open {started.verification_uri_complete})")
            if browser and _has_display():
                _open(started.verification_uri_complete)
            minutes = max(1, started.expires_in // 60)
            waiting = f"Waiting for approval in the browser (the code expires in {minutes} min)…"
            with Console(stderr=True).status(waiting):
                answer = devicelogin.wait_for_token(client, started)
    except KeyboardInterrupt:
        note("Login aborted.")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    return str(answer["access_token"])


def _has_display() -> bool:
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _open(url: str) -> None:
    with contextlib.suppress(webbrowser.Error):  # the URL is printed; the person opens it
        webbrowser.open(url)


def logout(
    server: Annotated[
        str | None,
        typer.Argument(help="Server to forget (default: the saved default).", show_default=False),
    ] = None,
    revoke: Annotated[
        bool, typer.Option("--revoke", help="Also revoke the token on the server.")
    ] = False,
) -> None:
    """Forget the token saved for SERVER (with --revoke, also end it on the server)."""
    with guarded():
        stored = load_credentials(normalize_server(server) if server else None)
    if stored is None:
        note(f"Not logged in to {redact(server)}." if server else "Not logged in.")
        return
    base, token = stored
    outcome = _revoke(base, token) if revoke else ""
    delete_credentials(base)
    note(f"Logged out of {redact(base)}{outcome}.")


def _revoke(base: str, token: str) -> str:
    """Revoke the token on the server; what happened, for the logout line.

    A token the server no longer accepts is forgotten all the same; any other
    failure keeps it saved (so the revoke can be tried again) and exits.
    """
    try:
        with Client(base, token) as client:
            me = client.get("/_apis/users/me")
            client.delete(path("_apis", "tokens", me["token_id"]))
    except ClientError as err:
        if err.status != 401:
            fail(f"Could not revoke the token (it is still saved): {err.message}", err.exit_code)
        return f"; the server no longer accepted the token ({err.message.rstrip('.')})"
    return "; the token is revoked"


def register(app: typer.Typer) -> None:
    app.command("login")(login)
    app.command("logout")(logout)
