"""The API docs pages, ``/_apis/docs`` (Swagger UI) and ``/_apis/redoc`` (ReDoc), served
by Quiver itself, no CDN.

FastAPI's own docs page loads swagger-ui's script and stylesheet from a public CDN, which
leaves the page blank on an air-gapped network. The files come from the ``fastapi-offline``
package instead (docs/design/decisions.md, "API docs page") and are served under
``/_apis/docs/static/<package version>/``: the version in the path lets browsers cache them
for good, and an upgrade changes the URL.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

DOCS_URL = "/_apis/docs"
REDOC_URL = "/_apis/redoc"
STATIC_URL = f"{DOCS_URL}/static/{version('fastapi-offline')}"
_STATIC_DIR = Path(fastapi_offline.__file__).parent / "static"
_IMMUTABLE = "public, max-age=31536000, immutable"


class _VersionedStaticFiles(StaticFiles):
    """Static files whose URL changes with their content: cached by browsers for a year."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            response.headers["Cache-Control"] = _IMMUTABLE
        return response


def install_api_docs(app: FastAPI) -> None:
    """Add the docs page and its assets; ``app`` is made with ``docs_url=None``.

    Quiver's API has no OAuth2 security scheme, so the app sets no OAuth2 redirect page
    (``swagger_ui_oauth2_redirect_url=None``); should it set one, it is served here too.
    """
    openapi_url = app.openapi_url
    assert openapi_url is not None, "the docs page needs the OpenAPI document"
    redirect_url = app.swagger_ui_oauth2_redirect_url
    app.mount(STATIC_URL, _VersionedStaticFiles(directory=_STATIC_DIR), name="api-docs-static")

    async def docs_page(request: Request) -> HTMLResponse:
        root = str(request.scope.get("root_path", "")).rstrip("/")
        return get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=root + redirect_url if redirect_url else None,
            swagger_js_url=f"{root}{STATIC_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{STATIC_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{STATIC_URL}/favicon.png",
            swagger_ui_parameters=app.swagger_ui_parameters,
            init_oauth=app.swagger_ui_init_oauth,
        )

    async def redoc_page(request: Request) -> HTMLResponse:
        root = str(request.scope.get("root_path", "")).rstrip("/")
        return get_redoc_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{STATIC_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{STATIC_URL}/favicon.png",
            with_google_fonts=False,  # fonts from Google would fail offline
        )

    app.add_api_route(DOCS_URL, docs_page, methods=["GET"], include_in_schema=False)
    app.add_api_route(REDOC_URL, redoc_page, methods=["GET"], include_in_schema=False)
    if redirect_url:

        async def oauth2_redirect() -> HTMLResponse:
            return get_swagger_ui_oauth2_redirect_html()

        app.add_api_route(redirect_url, oauth2_redirect, methods=["GET"], include_in_schema=False)
