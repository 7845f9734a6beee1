"""Device login (RFC 8628 shape): start a request, then poll for its token.

``POST /_apis/auth/device`` needs no credentials and answers a code pair;
``POST /_apis/auth/token`` (JSON or form-encoded, as OAuth clients send it)
answers the token once a person approved on ``/_auth/device``, else
``400 {"error": ..., "message": ...}`` with an RFC 8628 error code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from quiver.api.deps import ContextDep
from quiver.api.limits import auth_limits, client_address
from quiver.api.rest.feeds import base_url
from quiver.api.rest.schemas import Request as RequestBody
from quiver.domain.devicecodes import DEVICE_GRANT_TYPE
from quiver.domain.errors import TooManyRequests
from quiver.domain.roles import Scope
from quiver.services.login import service as devicelogin
from quiver.services.login.service import GrantError

router = APIRouter(prefix="/_apis/auth", tags=["auth"])
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
PAGE_PATH = "/_auth/device"


class DeviceStartIn(RequestBody):
    scope: str = Field(
        default="packaging:write",
        description="packaging:read, packaging:write or packaging:manage",
        examples=["packaging:write"],
    )
    expires_in_days: int | None = Field(default=None, description="Token lifetime (default 90)")
    client_name: str | None = Field(default=None, description="Shown on the approval page")


class DeviceStartOut(BaseModel):
    device_code: str = Field(description="The client's secret for polling /_apis/auth/token")
    user_code: str = Field(examples=["BCDF-GHJK"])
    verification_uri: str
    verification_uri_complete: str
    expires_in: int = Field(description="Seconds until the codes expire")
    interval: int = Field(description="Seconds to wait between polls")


class DeviceTokenOut(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 (the OAuth token type, not a secret)
    scope: str
    expires_at: datetime | None
    username: str


class GrantErrorOut(BaseModel):
    error: str = Field(
        description="authorization_pending, slow_down, access_denied, expired_token, "
        "invalid_grant, invalid_request or unsupported_grant_type"
    )
    message: str


@router.post(
    "/device",
    responses={429: {"description": "Too many logins started or waiting; see Retry-After"}},
)
async def start_device(
    ctx: ContextDep, request: Request, body: DeviceStartIn | None = None
) -> DeviceStartOut:
    """Start a device login: show ``user_code`` to the person, poll with ``device_code``.

    Anyone may start one, so each client address may start only so many a minute
    and have only so many codes waiting, and the server only so many in all:
    429 with ``Retry-After`` beyond that (docs/operations/security.md).
    """
    limits, address = auth_limits(request), client_address(request)
    wait = limits.starts.take(address)
    if wait:
        raise TooManyRequests("Too many logins started from your address.", wait)
    wait = limits.pending.wait(address)
    if wait:
        raise TooManyRequests(
            "Too many logins from your address are waiting for approval: approve or deny "
            "them, or let them expire.",
            wait,
        )
    body = body or DeviceStartIn()
    started = await devicelogin.start(
        ctx,
        scope=Scope.parse(body.scope),
        expires_in_days=body.expires_in_days,
        client_name=body.client_name,
    )
    limits.pending.record(address)
    page = base_url(request) + PAGE_PATH
    return DeviceStartOut(
        device_code=started.device_code,
        user_code=started.user_code,
        verification_uri=page,
        verification_uri_complete=f"{page}?code={started.user_code}",
        expires_in=started.expires_in,
        interval=started.interval,
    )


_TOKEN_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            media: {
                "schema": {
                    "type": "object",
                    "required": ["grant_type", "device_code"],
                    "properties": {
                        "grant_type": {"type": "string", "enum": [DEVICE_GRANT_TYPE]},
                        "device_code": {"type": "string"},
                    },
                }
            }
            for media in ("application/json", "application/x-www-form-urlencoded")
        },
    }
}


@router.post(
    "/token",
    response_model=DeviceTokenOut,
    responses={400: {"model": GrantErrorOut, "description": "No token (yet)"}},
    openapi_extra=_TOKEN_BODY,
)
async def token(ctx: ContextDep, request: Request) -> JSONResponse:
    """Poll for the token of a device login; each approved request yields one token, once."""
    try:
        device_code = _device_code(await _fields(request))
        granted = await devicelogin.exchange(ctx, device_code)
    except GrantError as err:
        return JSONResponse(
            {"error": err.error, "message": str(err)}, status_code=400, headers=NO_STORE
        )
    out = DeviceTokenOut(
        access_token=granted.secret,
        scope=Scope(granted.token.scope).label,
        expires_at=granted.token.expires_at,
        username=granted.username,
    )
    return JSONResponse(out.model_dump(mode="json"), headers=NO_STORE)


async def _fields(request: Request) -> dict[str, Any]:
    """The request's fields, from a JSON object or a form-encoded body."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        return dict((await request.form()).items())
    try:
        data = await request.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise GrantError("invalid_request", "Send a JSON object or a form-encoded body.")
    return data


def _device_code(fields: dict[str, Any]) -> str:
    if fields.get("grant_type") != DEVICE_GRANT_TYPE:
        raise GrantError("unsupported_grant_type", f"grant_type must be {DEVICE_GRANT_TYPE}.")
    device_code = fields.get("device_code")
    if not isinstance(device_code, str) or not device_code:
        raise GrantError("invalid_request", "device_code is missing.")
    return device_code
