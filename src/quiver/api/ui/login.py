"""The device-login approval page, ``/_auth/device`` (server-rendered, in the site's layout).

``GET`` shows a form and what the request asks for. Someone signed in to the web pages
approves or denies with one click (the form carries their session's form token); anyone
else types username and password with it. ``POST`` checks, in order: same origin (403),
the form token (400; a session's token when the form was a signed-in one), the
code-lookup limit for this address (429), then, without a session, the failure limits
for this username and address and for this address (429) and the password (401, never
saying which field was wrong); then the code (404 unknown or expired, 409 decided
already). Errors re-render the form with one sentence; a 429 also says
``Retry-After``. Looking up a code (``GET ?code=``, every ``POST``) counts toward
the address's lookups (api/limits.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from quiver.api.deps import get_context
from quiver.api.errors import status_of
from quiver.api.limits import auth_limits, client_address
from quiver.api.ui.security import FormGuard, load_form_key, same_origin
from quiver.api.ui.web import SESSION_COOKIE, viewer, web_ui
from quiver.api.ui.web import page as render
from quiver.domain.errors import NotFound, QuiverError, TooManyRequests
from quiver.domain.names import name_key
from quiver.domain.tokens import looks_like_token
from quiver.services.login import service as devicelogin
from quiver.services.login.records import DeviceRequest
from quiver.services.records import Principal
from quiver.services.users import service as accounts
from quiver.services.users.records import UserInfo

router = APIRouter(prefix="/_auth", include_in_schema=False)
COOKIE = "quiver_form"
FIELD_MAX = 2048


class PageError(Exception):
    """Re-render the form with ``message`` and ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class DeviceUi:
    """Per-app state of the page: the form guard (limits are in ``auth_limits``)."""

    guard: FormGuard


def device_ui(request: Request) -> DeviceUi:
    """The app's DeviceUi, made on first use (the key lives in the data directory)."""
    state: DeviceUi | None = getattr(request.app.state, "device_ui", None)
    if state is None:
        key = load_form_key(get_context(request).settings.data_dir)
        state = DeviceUi(FormGuard(key))
        request.app.state.device_ui = state
    return state


def _form(
    request: Request,
    principal: Principal,
    *,
    status: int = 200,
    error: str | None = None,
    code: str = "",
    username: str = "",
    pending: DeviceRequest | None = None,
    retry_after: int | None = None,
) -> HTMLResponse:
    """The form: one click for a signed-in ``principal``, else with username and password
    (and a nonce cookie for its token, since there is no session to bind it to)."""
    context: dict[str, Any] = {
        "error": error,
        "code": code,
        "username": username,
        "pending": pending,
    }
    nonce = None
    if not principal.authenticated:
        nonce, context["form_token"] = device_ui(request).guard.issue()
    response = render(request, "device.html", principal, context, status=status)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    if nonce is not None:
        response.set_cookie(
            COOKIE,
            nonce,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/_auth",
        )
    return response


def _done(request: Request, principal: Principal, heading: str, text: str) -> HTMLResponse:
    context = {"heading": heading, "text": text}
    return render(request, "device_done.html", principal, context)


@router.get("/device", response_class=HTMLResponse)
async def page(request: Request, code: str = "") -> HTMLResponse:
    """The form; with ``?code=`` also what that request asks for (404 when unknown)."""
    code, principal = code[:FIELD_MAX], await viewer(request)
    if not code:
        return _form(request, principal)
    try:
        _count_lookup(request)
        pending = await devicelogin.pending_request(get_context(request), code)
    except QuiverError as err:
        return _failed(request, principal, err, code=code)
    return _form(request, principal, code=pending.user_code, pending=pending)


@router.post("/device", response_class=HTMLResponse)
async def submit(request: Request) -> HTMLResponse:
    """Approve or deny a request: as the signed-in person, or with username and password."""
    fields = {key: str(value)[:FIELD_MAX] for key, value in (await request.form()).items()}
    code, username = fields.get("code", ""), fields.get("username", "")
    principal = await viewer(request)
    try:
        approve = _check_form(request, principal, fields)
        _count_lookup(request)
        approver = principal.user_id
        if approver is None:
            approver = (await sign_in(request, username, fields.get("password", ""))).id
        await devicelogin.decide(get_context(request), code, approver, approve=approve)
    except PageError as err:
        return _form(
            request, principal, status=err.status, error=err.message, code=code, username=username
        )
    except QuiverError as err:
        return _failed(request, principal, err, code=code, username=username)
    if approve:
        return _done(request, principal, "Approved", "You can return to your terminal.")
    return _done(request, principal, "Denied", "The login was denied; no token was created.")


def _check_form(request: Request, principal: Principal, fields: dict[str, str]) -> bool:
    """Same origin and a valid form token (bound to the session when signed in, else to
    the form's nonce cookie); True to approve, False to deny."""
    settings = get_context(request).settings
    if not same_origin(request, settings.base_url):
        raise PageError(403, "This form must be sent from this site.")
    guard, nonce = device_ui(request).guard, request.cookies.get(COOKIE)
    if principal.authenticated:
        guard, nonce = web_ui(request).guard, request.cookies.get(SESSION_COOKIE)
    if not guard.check(nonce, fields.get("form_token")):
        raise PageError(400, "The form has expired or cookies are blocked: please try again.")
    action = fields.get("action")
    if action not in ("approve", "deny"):
        raise PageError(400, "Choose Approve or Deny.")
    return action == "approve"


def _failed(
    request: Request, principal: Principal, err: QuiverError, *, code: str, username: str = ""
) -> HTMLResponse:
    """The form again with ``err``'s sentence and status (and Retry-After on a 429)."""
    wait = err.retry_after if isinstance(err, TooManyRequests) else None
    error = str(err)
    if isinstance(err, NotFound):  # the code: a new one comes from running the command again
        error = f"{error.rstrip('.')}: run 'quiver login' again."
    return _form(
        request,
        principal,
        status=status_of(err),
        error=error,
        code=code,
        username=username,
        retry_after=wait,
    )


def _count_lookup(request: Request) -> None:
    """Count a user-code lookup from this address; TooManyRequests past the limit."""
    wait = auth_limits(request).lookups.take(client_address(request))
    if wait:
        raise TooManyRequests("Too many codes looked up from your address.", wait)


async def sign_in(request: Request, username: str, password: str) -> UserInfo:
    """The user these credentials name; 429 after too many failures, 401 when wrong.

    ``password`` may be a personal access token of the user's with the
    ``packaging:manage`` scope and no feed limits (``users.verify_token``; Forbidden for
    a limited one), as the first administrator has only the token printed on first start.

    Failures count per username and address (10 a minute) and per address whatever
    the username (``sign_in_failures_per_address`` an hour, so trying one password
    on many names is held up too). A success clears only its username's count:
    an address cannot wipe its record by signing in to an account it holds.
    """
    limits, address = auth_limits(request), client_address(request)
    key = (name_key(username), address)
    wait = max(limits.user_failures.wait(key), limits.address_failures.wait(address))
    if wait:
        raise TooManyRequests("Too many failed sign-ins from your address.", wait)
    ctx = get_context(request)
    if looks_like_token(password):  # a personal access token instead of the password
        user = await accounts.verify_token(ctx, username, password)
    else:
        user = await accounts.verify_password(ctx, username, password)
    if user is None:
        limits.user_failures.record(key)
        limits.address_failures.record(address)
        raise PageError(401, "Wrong username or password.")
    limits.user_failures.reset(key)
    return user
