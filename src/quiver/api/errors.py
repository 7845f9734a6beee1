"""Every error leaves as JSON ``{"message": ...}`` with one status and a one-line reason."""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from quiver.api.reason import REASON_HEADER, safe_reason
from quiver.domain.errors import (
    Conflict,
    Forbidden,
    Gone,
    Invalid,
    NotFound,
    QuiverError,
    StorageFull,
    TooLarge,
    TooManyRequests,
    Unauthenticated,
    UpstreamError,
)
from quiver.services.diskfull import MESSAGE as DISK_FULL
from quiver.services.diskfull import is_disk_full

log = logging.getLogger("quiver.api")
REALM = 'Basic realm="Quiver", charset="UTF-8"'
# Line breaks and other controls, and lone surrogates (which JSON cannot encode as UTF-8)
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


#: The one place an error becomes a status; a subclass takes its nearest listed base's.
STATUSES: dict[type[QuiverError], int] = {
    Invalid: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Gone: 410,
    TooLarge: 413,
    TooManyRequests: 429,
    UpstreamError: 502,
    StorageFull: 507,
}


def status_of(err: QuiverError) -> int:
    """The HTTP status for ``err``: its class's entry in ``STATUSES``, else its nearest base's."""
    for kind in type(err).__mro__:
        if kind in STATUSES:
            return STATUSES[kind]
    return 400


def one_line(message: str) -> str:
    """``message`` with control characters and lone surrogates written as escapes
    (``\\n``, ``\\x00``, ``\\ud800``): an error stays one line whatever input it quotes."""
    return _UNPRINTABLE.sub(lambda found: ascii(found.group())[1:-1], message)


def error_response(
    status: int, message: str, *, reason: bool = False, details: dict[str, str] | None = None
) -> JSONResponse:
    """The one shape of an error; ``reason`` also puts the message in the status line.

    ``details`` add machine-readable keys beside ``message`` (e.g. ``code``).
    """
    message = one_line(message)
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = REALM
    if reason:
        headers[REASON_HEADER.decode()] = safe_reason(message)
    body = {**(details or {}), "message": message}
    return JSONResponse(body, status_code=status, headers=headers)


def _wants_reason(request: Request) -> bool:
    # Upload clients (twine) show only the status line's reason phrase.
    return request.url.path.rstrip("/").endswith("/pypi/upload")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(QuiverError)
    async def quiver_error(request: Request, err: QuiverError) -> JSONResponse:
        # 410 (a feed in the recycle bin): pip shows only the status line's reason.
        reason = isinstance(err, Gone) or _wants_reason(request)
        status = status_of(err)
        response = error_response(status, str(err), reason=reason, details=err.details)
        if isinstance(err, TooManyRequests):
            response.headers["Retry-After"] = str(err.retry_after)
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, err: RequestValidationError) -> JSONResponse:
        first = err.errors()[0] if err.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        message = f"Invalid request: {where}: {first.get('msg', 'malformed')}".replace(": :", ":")
        return error_response(400, message, reason=_wants_reason(request))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, err: StarletteHTTPException) -> JSONResponse:
        message = str(err.detail) if err.detail else "Error"
        if err.status_code == 404 and message == "Not Found":
            message = f"Nothing here: {request.url.path}"
        if err.status_code == 405:
            message = f"Method {request.method} is not allowed on {request.url.path}."
        return error_response(err.status_code, message, reason=_wants_reason(request))

    async def storage_error(request: Request, err: Exception) -> JSONResponse:
        # Handled here rather than by the catch-all, which Starlette re-raises after
        # answering, dropping the connection: a full disk is a 507 like any other answer.
        if not is_disk_full(err):
            raise err
        log.error("storage full on %s %s: %s", request.method, request.url.path, err)
        return error_response(507, DISK_FULL, reason=True)

    app.add_exception_handler(OSError, storage_error)
    app.add_exception_handler(DBAPIError, storage_error)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, err: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "Internal server error; the server log has the details.")
