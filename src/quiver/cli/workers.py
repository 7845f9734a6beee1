"""``quiver serve --workers N``: N server processes sharing one listening socket.

uvicorn starts each worker in a fresh interpreter and builds its app there from
an import string (``worker_app``), so the workers read their settings from the
environment: the parent first puts its command-line overrides there. The parent
also migrates the database and creates the first administrator before any
worker starts, so the token is shown once and the workers find both done.
Their caches stay coherent through ``quiver.services.coherence``.
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from fastapi import FastAPI

    from quiver.settings import Settings

WORKER_APP = "quiver.cli.workers:worker_app"


def checked_workers(workers: int) -> int:
    """``workers`` if it is 1-64; otherwise a one-line error and exit status 2."""
    from quiver.settings import MAX_WORKERS

    if not 1 <= workers <= MAX_WORKERS:
        message = f"error: --workers must be between 1 and {MAX_WORKERS}, not {workers}."
        typer.echo(message, err=True)
        raise typer.Exit(2)
    return workers


def server_app(settings: Settings, overrides: dict[str, object]) -> FastAPI | str:
    """What ``uvicorn.run`` serves: the app itself, or for several workers its import string."""
    from quiver.api.app import create_app

    if settings.workers == 1:
        return create_app(settings)
    for name, value in overrides.items():
        os.environ[f"QUIVER_{name.upper()}"] = str(value)
    asyncio.run(_initialise(settings))
    return WORKER_APP


async def _initialise(settings: Settings) -> None:
    from quiver.api.app import start

    ctx = await start(settings)
    await ctx.engine.dispose()


def worker_app() -> FastAPI:
    """The app of one worker process (uvicorn calls this in each worker)."""
    from quiver.api import h11_protocol
    from quiver.api.app import create_app
    from quiver.api.reason import install_uvicorn_reason_phrases
    from quiver.cli import serverlog
    from quiver.cli.commands._common import server_settings

    settings = server_settings({})
    install_uvicorn_reason_phrases()
    h11_protocol.configure(settings.header_timeout_seconds)
    serverlog.configure(settings.log_level, settings.log_format)
    return create_app(settings)
