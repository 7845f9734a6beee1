"""Entry point of the ``quiver`` command."""

from __future__ import annotations

import typer

from quiver.cli.commands import (
    authenticate,
    bundle,
    changes,
    connect,
    feeds,
    login,
    maintenance,
    mirror,
    orgs,
    packages,
    permissions,
    publish,
    recycle,
    retention,
    tokens,
    users,
    views,
)
from quiver.cli.commands import serve as server

app = typer.Typer(
    name="quiver",
    help="Quiver: private Python package feeds. Server and client commands.",
    no_args_is_help=True,
    add_completion=False,
)
server.register(app)
for group in (login, orgs, feeds, users, tokens, permissions, authenticate, connect):
    group.register(app)
packages.register(app)
publish.register(app)
mirror.register(app)
bundle.register(app)
views.register(app)
recycle.register(app)
retention.register(app)
changes.register(app)
maintenance.register(app)

if __name__ == "__main__":  # pragma: no cover
    app()
