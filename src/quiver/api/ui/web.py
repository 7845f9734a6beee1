"""What every web page shares: templates, the signed-in person, the session cookie, the
sign-out form's guard, security headers and the error page.

A page's caller is the person of the ``quiver_session`` cookie (``services/login``
sessions), or anonymous: pages never read ``Authorization`` (a browser sends none).
Forms of signed-in people carry a token bound to their session (``session_guard``);
the sign-in form, before any session, uses a nonce cookie (``api/ui/auth_pages.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from quiver import __version__
from quiver.api.deps import get_context
from quiver.api.errors import status_of
from quiver.api.ui.security import FormGuard, load_form_key
from quiver.domain.errors import QuiverError
from quiver.services.login import service as login
from quiver.services.records import ANONYMOUS, Principal

SESSION_COOKIE = "quiver_session"
FLASH_COOKIE = "quiver_flash"
FLASH_MAX = 300
SESSION_SECONDS = 12 * 3600
templates = Jinja2Templates(directory=Path(__file__).with_name("templates"))  # autoescape on
HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    # README images may come from anywhere over https; the only script is /_static/quiver.js
    # (no inline script, no eval), so markup that slips into a page cannot run.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}


def feed_path(org: str, project: str | None, feed: str) -> str:
    """The URL path of a feed's page."""
    scope = "/".join(quote(part, safe="") for part in (org, project) if part)
    return f"/{scope}/_artifacts/feed/{quote(feed, safe='')}"


templates.env.globals["feed_path"] = feed_path


@dataclass
class WebUi:
    """Per-app state of the pages: the guard of session-bound forms (12 h, as sessions)."""

    guard: FormGuard
    signin_guard: FormGuard


def web_ui(request: Request) -> WebUi:
    """The app's WebUi, made on first use (the key lives in the data directory)."""
    state: WebUi | None = getattr(request.app.state, "web_ui", None)
    if state is None:
        key = load_form_key(get_context(request).settings.data_dir)
        state = WebUi(FormGuard(key, max_age=SESSION_SECONDS), FormGuard(key))
        request.app.state.web_ui = state
    return state


async def viewer(request: Request) -> Principal:
    """The signed-in person of this request, or anonymous; with the client's address."""
    ctx = get_context(request)
    principal = await login.principal_of_session(ctx, request.cookies.get(SESSION_COOKIE))
    principal = principal or ANONYMOUS
    if request.client is not None:
        principal = replace(principal, address=request.client.host)
    return principal


def secure_cookies(request: Request) -> bool:
    """Whether cookies get ``Secure``: the request is https or the server's base URL is."""
    base = get_context(request).settings.base_url or ""
    return request.url.scheme == "https" or str(base).startswith("https:")


def page(
    request: Request,
    template: str,
    principal: Principal,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> HTMLResponse:
    """Render ``template`` with what every page needs: who is signed in, ``form_token``
    (the token every form of a signed-in person carries, bound to the session), the
    message left by the last action (``flash``), the static files' version.

    The flash message is shown once: the response clears its cookie.
    """
    secret = request.cookies.get(SESSION_COOKIE)
    form_token = None
    if principal.authenticated and secret:
        form_token = web_ui(request).guard.issue_for(secret)
    flash = request.cookies.get(FLASH_COOKIE)
    common = {
        "principal": principal,
        "form_token": form_token,
        "flash": unquote(flash)[:FLASH_MAX] if flash else None,
        "static_version": __version__,
        "here": request.url.path,
    }
    response = templates.TemplateResponse(
        request, template, {**common, **context}, status_code=status, headers=HEADERS
    )
    if flash:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def redirect(request: Request, path: str, message: str | None = None) -> RedirectResponse:
    """A 303 to ``path`` (a local path) after a form did its work; ``message`` is shown
    once on the next page (a short-lived cookie, so no text travels in the URL)."""
    response = RedirectResponse(path, status_code=303, headers=HEADERS)
    if message:
        response.set_cookie(
            FLASH_COOKIE,
            quote(message[:FLASH_MAX]),
            max_age=60,
            httponly=True,
            samesite="strict",
            secure=secure_cookies(request),
            path="/",
        )
    return response


def error_page(request: Request, principal: Principal, err: QuiverError) -> HTMLResponse:
    """The error's sentence with its status; anonymous visitors also get a sign-in link."""
    context = {"message": str(err), "signin_next": quote(request.url.path)}
    return page(request, "error.html", principal, context, status=status_of(err))


def no_store(response: Response) -> Response:
    """``response`` with the pages' security headers."""
    response.headers.update(HEADERS)
    return response
