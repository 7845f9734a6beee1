"""Request-level dependencies: the context, the caller and the feed a URL names."""

from __future__ import annotations

import base64
import binascii
from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Request

from quiver.domain.errors import NotFound, Unauthenticated
from quiver.services.access import authenticate
from quiver.services.context import Context
from quiver.services.records import FeedRef, Principal


def get_context(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def presented_secret(request: Request) -> str | None:
    """The token in ``Authorization``: Basic (any username) or Bearer; None if absent."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    value = value.strip()
    if scheme == "bearer" and value:
        return value
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthenticated("Malformed Basic credentials.") from None
        _user, sep, password = decoded.partition(":")
        if not sep or not password:
            raise Unauthenticated("Basic credentials need a token as the password.")
        return password
    raise Unauthenticated("Unsupported Authorization scheme: use Basic or Bearer.")


async def get_principal(request: Request) -> Principal:
    ctx = get_context(request)
    principal = await authenticate(ctx, presented_secret(request))
    if request.client is not None:
        # per request: the cached principal is shared by every request of a token
        principal = replace(principal, address=request.client.host)
    request.state.principal = principal
    return principal


def feed_ref(request: Request) -> FeedRef:
    """The feed named by the path parameters ``org``, ``project`` (optional), ``feed``.

    ``feed`` may carry ``@view``; views other than ``local`` arrive in a later issue.
    """
    params = request.path_params
    name, _, view = str(params["feed"]).partition("@")
    if not name:
        raise NotFound("Feed name missing.")
    return FeedRef(
        org=str(params["org"]),
        project=str(params["project"]) if params.get("project") else None,
        feed=name,
        view=view or None,
    )


ContextDep = Annotated[Context, Depends(get_context)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
FeedRefDep = Annotated[FeedRef, Depends(feed_ref)]
