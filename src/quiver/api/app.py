"""``create_app(settings)``: builds the engine, stores, caches and routes in the lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from fastapi import FastAPI

from quiver import __version__
from quiver.api.docs_page import install_api_docs
from quiver.api.errors import install_error_handlers
from quiver.api.input_guard import InputGuardMiddleware
from quiver.api.observe import install_observability
from quiver.api.reason import ReasonPhraseMiddleware
from quiver.api.request_limits import RequestLimitsMiddleware
from quiver.blobs import open_blob_store
from quiver.db.engine import make_engine, make_session_factory
from quiver.db.migrate import upgrade
from quiver.privatefs import private_dirs
from quiver.services.caches import AccessCache, PageCache
from quiver.services.coherence import keep_coherent
from quiver.services.context import Context
from quiver.services.index.service import flush_downloads
from quiver.services.jobs.service import schedule_forever
from quiver.services.maintenance.service import prepare_data_dir, sweep_at_start
from quiver.services.tokens.service import flush_token_usage
from quiver.services.upstreams.service import UpstreamCache, UpstreamClient
from quiver.services.users.service import bootstrap_admin
from quiver.settings import Settings

log = logging.getLogger("quiver")
FLUSH_SECONDS = 5.0


async def _last_flush(ctx: Context) -> None:
    """Write buffered token use and download counts; a failure (a full disk) is only logged:
    the counts are lost, and the shutdown still closes everything else."""
    try:
        await flush_token_usage(ctx)
    except Exception:
        log.exception("could not write token usage at shutdown")
    try:
        await flush_downloads(ctx.sessions, ctx.downloads)
    except Exception:
        log.exception("could not write download counts at shutdown")


def create_app(settings: Settings | None = None) -> FastAPI:
    """The ASGI application; nothing is opened until the lifespan starts."""
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ctx = await start(settings)
        tmp_claim = await sweep_at_start(settings.tmp_dir, settings.orphan_grace_seconds)
        ctx.http = http = upstream_http_client(settings)
        ctx.fetcher = fetcher = UpstreamClient(http, settings)
        ctx.upstreams = upstreams = UpstreamCache(fetcher, settings)
        app.state.ctx = ctx
        flusher = asyncio.create_task(_flush_forever(ctx))
        jobs = asyncio.create_task(schedule_forever(ctx))
        try:
            async with keep_coherent(ctx):  # other processes' changes (services/coherence)
                yield
        finally:
            for task in (jobs, flusher):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await _last_flush(ctx)
            await upstreams.aclose()
            await http.aclose()
            await ctx.engine.dispose()
            tmp_claim.release()

    app = FastAPI(
        title="Quiver",
        version=__version__,
        lifespan=lifespan,
        openapi_url="/_apis/openapi.json",
        docs_url=None,  # served by docs_page.py without a CDN
        swagger_ui_oauth2_redirect_url=None,  # no OAuth2 scheme to redirect for
        redoc_url=None,
    )
    install_api_docs(app)  # /_apis/docs
    install_error_handlers(app)
    _include_routes(app)
    app.add_middleware(InputGuardMiddleware)  # NUL and lone surrogates: 400 (input_guard.py)
    # outside the guard, which reads bodies: sizes, credentials and timeouts come first
    app.add_middleware(
        RequestLimitsMiddleware,
        max_body_bytes=settings.max_body_bytes,
        body_timeout=settings.body_timeout_seconds,
    )
    install_observability(app)  # request metrics and access log (observe.py)
    app.add_middleware(ReasonPhraseMiddleware)
    return app


def _include_routes(app: FastAPI) -> None:
    from quiver.api import index, metrics, publish
    from quiver.api.rest import router as rest_router
    from quiver.api.ui import login, pages

    app.include_router(rest_router)
    app.include_router(metrics.router)  # GET /metrics
    app.include_router(login.router)
    # Feed surfaces exist for org-scoped and project-scoped feeds alike.
    for prefix in ("/{org}", "/{org}/{project}"):
        app.include_router(publish.router, prefix=prefix)
        app.include_router(index.router, prefix=prefix)
    app.include_router(pages.router)  # last: the web pages (api/ui/pages.py)


def upstream_http_client(settings: Settings) -> httpx.AsyncClient:
    """The one HTTP client for all upstreams (``UpstreamClient`` sets per-request limits).

    No cap on connections: every request is bounded by timeouts, and a pool shared by
    all upstreams must not let one that hangs starve the others.
    """
    return httpx.AsyncClient(
        headers={"User-Agent": f"quiver/{__version__}"},
        timeout=httpx.Timeout(
            settings.upstream_read_timeout, connect=settings.upstream_connect_timeout
        ),
        limits=httpx.Limits(max_connections=None, max_keepalive_connections=32),
        follow_redirects=False,
    )


async def start(settings: Settings) -> Context:
    """Open the database (migrating it) and the blob store; create the first admin.

    The data directory is made private first (services/maintenance/datadir.py).
    """
    await asyncio.to_thread(prepare_data_dir, settings)
    private_dirs(settings.tmp_dir)
    engine = make_engine(settings.resolved_database_url())
    await upgrade(engine)
    ctx = Context(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        blobs=await open_blob_store(settings),
        access=AccessCache(settings.access_cache_seconds),
        pages=PageCache(settings.page_cache_entries),
    )
    secret = await bootstrap_admin(ctx, settings.admin_token)
    if secret is not None:
        _announce_admin_token(settings.data_dir, secret, preset=settings.admin_token is not None)
    return ctx


def _announce_admin_token(data_dir: Path, secret: str, *, preset: bool) -> None:
    path = data_dir / "initial-admin-token"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret + "\n")
    if preset:
        log.warning("Created user 'admin' with the token from QUIVER_ADMIN_TOKEN.")
        return
    # Shown once, on the first start only, as DESIGN.md promises.
    print(
        f"\n  Created user 'admin'. Its access token (shown once, also in {path}):\n\n"
        f"    {secret}\n",
        flush=True,
    )


async def _flush_forever(ctx: Context) -> None:
    while True:
        await asyncio.sleep(FLUSH_SECONDS)
        try:
            await flush_token_usage(ctx)
        except Exception:
            log.exception("could not record token usage")
        try:
            await flush_downloads(ctx.sessions, ctx.downloads)
        except Exception:
            log.exception("could not record download counts")
