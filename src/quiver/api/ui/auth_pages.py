"""Signing in to and out of the web pages: ``/_auth/signin`` and ``/_auth/signout``.

``POST /_auth/signin`` checks, in order: same origin (403), the form token (400), the
failure limits shared with the device page (429, ``api/ui/login.sign_in``), the password
(401, never saying which field was wrong), the account not disabled (403); then starts a
session (``services/login``) and answers 303 to ``next`` (a local path) with the
session cookie: HttpOnly, SameSite=Lax, Secure on https, Path=/.
``POST /_auth/signout`` (same origin, a token bound to the session) deletes the session
and clears the cookie, whatever the state of the session.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from quiver.api.deps import get_context
from quiver.api.errors import status_of
from quiver.api.limits import client_address
from quiver.api.ui.login import PageError, sign_in
from quiver.api.ui.security import same_origin
from quiver.api.ui.web import (
    HEADERS,
    SESSION_COOKIE,
    SESSION_SECONDS,
    page,
    secure_cookies,
    viewer,
    web_ui,
)
from quiver.domain.errors import QuiverError, TooManyRequests, Unauthenticated
from quiver.services.login import service as login
from quiver.services.records import ANONYMOUS

router = APIRouter(prefix="/_auth", include_in_schema=False)
FORM_COOKIE = "quiver_signin"
FIELD_MAX = 2048


def local_path(target: str | None) -> str:
    """``target`` when it is a path on this site, else ``/`` (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def _form(
    request: Request,
    *,
    status: int = 200,
    error: str | None = None,
    username: str = "",
    next_path: str = "/",
    retry_after: int | None = None,
) -> HTMLResponse:
    nonce, form_token = web_ui(request).signin_guard.issue()
    context = {"error": error, "username": username, "next": next_path, "form_token": form_token}
    response = page(request, "signin.html", ANONYMOUS, context, status=status)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    response.set_cookie(
        FORM_COOKIE,
        nonce,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
        path="/_auth",
    )
    return response


@router.get("/signin", response_class=HTMLResponse)
async def signin_form(request: Request, next: str = "/") -> Response:
    """The sign-in form (straight to ``next`` when already signed in)."""
    next_path = local_path(next[:FIELD_MAX])
    if (await viewer(request)).authenticated:
        return RedirectResponse(next_path, status_code=303, headers=HEADERS)
    return _form(request, next_path=next_path)


@router.post("/signin", response_class=HTMLResponse)
async def signin(request: Request) -> Response:
    """Check the password and start a session; the form again with a sentence when not."""
    fields = {key: str(value)[:FIELD_MAX] for key, value in (await request.form()).items()}
    username, next_path = fields.get("username", ""), local_path(fields.get("next"))
    try:
        if not same_origin(request, get_context(request).settings.base_url):
            raise PageError(403, "This form must be sent from this site.")
        guard = web_ui(request).signin_guard
        if not guard.check(request.cookies.get(FORM_COOKIE), fields.get("form_token")):
            raise PageError(400, "The form has expired or cookies are blocked: please try again.")
        user = await sign_in(request, username, fields.get("password", ""))
        started = await login.start_session(get_context(request), user, client_address(request))
    except PageError as err:
        return _form(
            request, status=err.status, error=err.message, username=username, next_path=next_path
        )
    except Unauthenticated:
        return _form(request, status=403, error="This account is disabled.", username=username)
    except QuiverError as err:
        wait = err.retry_after if isinstance(err, TooManyRequests) else None
        return _form(
            request,
            status=status_of(err),
            error=str(err),
            username=username,
            next_path=next_path,
            retry_after=wait,
        )
    response = RedirectResponse(next_path, status_code=303, headers=HEADERS)
    response.set_cookie(
        SESSION_COOKIE,
        started.secret,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/",
    )
    response.delete_cookie(FORM_COOKIE, path="/_auth")
    return response


@router.post("/signout")
async def signout(request: Request) -> Response:
    """End the session and clear its cookie; 403 from another site or without the token."""
    fields = {key: str(value)[:FIELD_MAX] for key, value in (await request.form()).items()}
    secret = request.cookies.get(SESSION_COOKIE)
    settings = get_context(request).settings
    allowed = same_origin(request, settings.base_url) and web_ui(request).guard.check(
        secret, fields.get("form_token")
    )
    if not allowed:
        principal = await viewer(request)
        context = {"message": "This form has expired or was not sent from this site."}
        return page(request, "error.html", principal, context, status=403)
    await login.end_session(get_context(request), secret)
    response = RedirectResponse("/", status_code=303, headers=HEADERS)
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure_cookies(request)
    )
    return response
