"""Server-side commands: ``serve`` and ``db upgrade``."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from quiver.settings import Settings

db_app = typer.Typer(help="Database administration.", no_args_is_help=True)


def check_storage(settings: Settings) -> None:
    """Exit with a one-line error (status 2) unless the blob store can be reached."""
    from quiver.blobs import BlobStoreError, open_blob_store

    try:
        asyncio.run(open_blob_store(settings))
    except BlobStoreError as err:
        typer.echo(f"error: QUIVER_STORAGE_URL: {err}", err=True)
        raise typer.Exit(2) from None


def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (QUIVER_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (QUIVER_PORT).")] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="Server processes sharing the port, 1-64 (QUIVER_WORKERS)."),
    ] = None,
) -> None:
    """Run the Quiver server (settings from QUIVER_* environment variables)."""
    import uvicorn

    from quiver.api import h11_protocol
    from quiver.api.reason import install_uvicorn_reason_phrases
    from quiver.api.request_limits import MAX_HEAD_BYTES
    from quiver.cli import serverlog
    from quiver.cli.commands._common import server_settings
    from quiver.cli.workers import checked_workers, server_app

    overrides: dict[str, object] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    if workers is not None:
        overrides["workers"] = checked_workers(workers)
    settings = server_settings(overrides)
    check_storage(settings)
    install_uvicorn_reason_phrases()
    h11_protocol.configure(settings.header_timeout_seconds)
    serverlog.configure(settings.log_level, settings.log_format)
    listening = f"Quiver listening on http://{settings.host}:{settings.port}/"
    if settings.log_format == "json":
        logging.getLogger("quiver").info(listening)
    else:
        typer.echo(listening, err=True)
    uvicorn.run(
        server_app(settings, overrides),  # N workers: an import string (cli/workers.py)
        workers=settings.workers,
        factory=settings.workers > 1,
        host=settings.host,
        port=settings.port,
        # h11, with a deadline for request heads and JSON for bad ones (api/h11_protocol.py)
        http=h11_protocol.QuiverH11Protocol,
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,
        log_level=settings.log_level,
        log_config=serverlog.logging_config(settings.log_level, settings.log_format),
        access_log=False,  # quiver.access (quiver.api.observe) logs each request instead
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        # on SIGTERM: stop accepting, let requests in flight (uploads) finish this long
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
    )


def db_upgrade() -> None:
    """Create or migrate the database schema to the newest version."""
    from quiver.cli.commands._common import server_settings
    from quiver.db.engine import make_engine
    from quiver.db.migrate import upgrade
    from quiver.privatefs import private_dirs

    settings = server_settings({})

    async def run() -> None:
        engine = make_engine(settings.resolved_database_url())
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    private_dirs(settings.data_dir)
    asyncio.run(run())
    typer.echo("Database is at the newest schema.", err=True)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    db_app.command("upgrade")(db_upgrade)
    app.add_typer(db_app, name="db")
