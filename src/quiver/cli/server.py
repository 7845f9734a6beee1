"""Server-side commands: ``serve`` and ``db upgrade``."""

from __future__ import annotations

import asyncio
import os
from typing import Annotated

import typer

db_app = typer.Typer(help="Database administration.", no_args_is_help=True)


def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (QUIVER_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (QUIVER_PORT).")] = None,
) -> None:
    """Run the Quiver server (settings from QUIVER_* environment variables)."""
    import uvicorn

    from quiver.api.app import create_app
    from quiver.api.reason import install_uvicorn_reason_phrases
    from quiver.settings import Settings  # imported here: client commands start faster

    overrides: dict[str, object] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    settings = Settings(**overrides)  # type: ignore[arg-type]
    install_uvicorn_reason_phrases()
    typer.echo(f"Quiver listening on http://{settings.host}:{settings.port}/", err=True)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        http="h11",
        log_level=settings.log_level,
        proxy_headers=True,
        forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        timeout_graceful_shutdown=30,
    )


def db_upgrade() -> None:
    """Create or migrate the database schema to the newest version."""
    from quiver.db.engine import make_engine
    from quiver.db.migrate import upgrade
    from quiver.settings import Settings

    settings = Settings()

    async def run() -> None:
        engine = make_engine(settings.resolved_database_url())
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(run())
    typer.echo("Database is at the newest schema.", err=True)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    db_app.command("upgrade")(db_upgrade)
    app.add_typer(db_app, name="db")
