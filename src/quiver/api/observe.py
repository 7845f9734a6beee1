"""Each HTTP request, observed once: counted and timed for ``/metrics``, and logged.

``ObserveMiddleware`` (plain ASGI, so streamed uploads and downloads pass through
untouched) measures from a request's arrival to the last byte of its response, then
counts it under its route template and logs one ``quiver.access`` line at ``info``:
``method``, ``path`` (never the query string, which may carry secrets; an absolute
request target is cut to its path), ``route``, ``status``, ``duration_ms``,
``bytes`` (of the response body) and ``client`` (the address, after uvicorn applied
trusted ``X-Forwarded-For``). Headers are never logged; a path is cut to its first 1,024
characters.
"""

from __future__ import annotations

import logging
import re
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quiver.api.metrics import Metrics

if TYPE_CHECKING:
    from fastapi import FastAPI

access_log = logging.getLogger("quiver.access")
UNMATCHED = "unmatched"
MAX_LOGGED_PATH = 1024


def install_observability(app: FastAPI) -> None:
    """Give ``app`` its metrics and the observing middleware (``GET /metrics`` is among the
    routes ``app.py`` includes, before the web pages' catch-all ``/{org}``)."""
    metrics = Metrics(app.state)
    app.state.metrics = metrics
    app.add_middleware(ObserveMiddleware, metrics=metrics)


class ObserveMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # when the app fails before it answers
        sent = 0

        async def observed(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        self.metrics.in_progress.inc()
        try:
            await self.app(scope, receive, observed)
        finally:
            self.metrics.in_progress.dec()
            seconds = time.perf_counter() - started
            route = route_of(scope)
            self.metrics.observe_request(scope["method"], route, status, seconds)
            _log_access(scope, route, status, seconds, sent)


def route_of(scope: Scope) -> str:
    """The template of the route that answered (``unmatched`` when none did).

    A route included under a prefix (``/{org}``, ``/{org}/{project}``) may know only its
    own part of the template (FastAPI's lazily included routers); the prefix is then
    rebuilt from the request's path: each of its segments must be the value of one of
    the prefix's path parameters and becomes ``{name}``. A segment that is not (which
    our routes never have) gives ``/{prefix}``, so no label ever holds a path's text.
    """
    route = scope.get("route")
    template = getattr(route, "path", None)
    regex = getattr(route, "path_regex", None)
    if not isinstance(template, str) or not isinstance(regex, re.Pattern):
        return UNMATCHED
    path: str = scope.get("path", "")
    if regex.match(path):
        return template
    params: dict[str, object] = scope.get("path_params") or {}
    own = set(getattr(route, "param_convertors", {}))
    outer = [(name, str(value)) for name, value in params.items() if name not in own]
    for start in (i for i, ch in enumerate(path) if ch == "/" and i > 0):
        if regex.match(path[start:]):
            return _prefix_template(path[:start], outer) + template
    return UNMATCHED


def _prefix_template(prefix: str, params: list[tuple[str, str]]) -> str:
    parts = []
    for segment in prefix.strip("/").split("/"):
        found = next((name for name, value in params if value == segment), None)
        if found is None:
            return "/{prefix}"
        params = [(name, value) for name, value in params if name != found]
        parts.append("{" + found + "}")
    return "/" + "/".join(parts)


def logged_path(scope: Scope) -> str:
    """The request's path for logs: no query string, no scheme, host or userinfo."""
    path = str(scope.get("root_path", "")) + str(scope.get("path", ""))
    if "://" in path:  # an absolute-form target (``GET http://user:pw@host/x``)
        path = urlsplit(path).path or "/"
    if len(path) > MAX_LOGGED_PATH:  # a refused 8 KiB+ target would flood the log
        path = path[:MAX_LOGGED_PATH] + "..."
    return path


def _log_access(scope: Scope, route: str, status: int, seconds: float, sent: int) -> None:
    if not access_log.isEnabledFor(logging.INFO):
        return
    client = scope.get("client")
    address = client[0] if client else None
    method, path = scope["method"], logged_path(scope)
    duration_ms = round(seconds * 1000, 1)
    access_log.info(
        '%s "%s %s" %d %.1fms',
        address or "-",
        method,
        path,
        status,
        duration_ms,
        extra={
            "method": method,
            "path": path,
            "route": route,
            "status": status,
            "duration_ms": duration_ms,
            "bytes": sent,
            "client": address,
        },
    )
