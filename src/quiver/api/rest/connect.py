"""``GET .../_apis/packaging/feeds/{feed}/connect?tool=pip``: what to paste to use a feed.

For the web UI's "Connect to feed" dialog and ``quiver connect``. Needs the reader role on
the feed (anonymous callers of a private feed get 401, like the index itself); ``{feed}``
may name a view (``libs@release``). The text comes from :mod:`quiver.domain.snippets` and
never holds a token (``quiver.services.connect.service``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from quiver.api.deps import ContextDep, FeedRefDep, PrincipalDep
from quiver.api.rest.feeds import FEEDS, base_url
from quiver.api.rest.schemas import ERRORS
from quiver.domain.snippets import DEFAULT_TOOL, TOOLS
from quiver.services.connect import service as connecting

router = APIRouter(tags=["feeds"], responses=ERRORS)


class SnippetOut(BaseModel):
    title: str
    filename: str | None = Field(description="The file it belongs in; null for shell commands")
    content: str


class ConnectOut(BaseModel):
    tool: str = Field(examples=["pip"])
    feed: str = Field(examples=["acme/libs", "acme/libs@release"])
    index_url: str
    upload_url: str
    snippets: list[SnippetOut]
    notes: list[str]


@router.get(FEEDS + "/{feed}/connect")
async def connect(
    ctx: ContextDep,
    principal: PrincipalDep,
    request: Request,
    ref: FeedRefDep,
    tool: Annotated[str, Query(description=f"One of {', '.join(TOOLS)}")] = DEFAULT_TOOL,
) -> ConnectOut:
    """Snippets to use the feed (or view) from a tool: config files, commands and notes."""
    found = await connecting.snippets(ctx, principal, ref, base_url(request), tool)
    return ConnectOut(
        tool=found.tool,
        feed=found.feed,
        index_url=found.index_url,
        upload_url=found.upload_url,
        snippets=[
            SnippetOut(title=s.title, filename=s.filename, content=s.content)
            for s in found.snippets
        ],
        notes=list(found.notes),
    )


def _org(org: Annotated[str, Path(description="Organization")]) -> None:
    """Declares ``{org}`` for the OpenAPI document."""


def _project(project: Annotated[str, Path(description="Project in the organization")]) -> None:
    """Declares ``{project}`` for the OpenAPI document."""


def mounted() -> APIRouter:
    """The route under ``/{org}`` and under ``/{org}/{project}``."""
    outer = APIRouter()
    outer.include_router(router, prefix="/{org}", dependencies=[Depends(_org)])
    outer.include_router(
        router, prefix="/{org}/{project}", dependencies=[Depends(_org), Depends(_project)]
    )
    return outer
