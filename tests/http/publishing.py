"""Helpers for HTTP tests that publish: set up a feed and upload files as twine does."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

import httpx
from fastapi import FastAPI

from quiver.domain.roles import Visibility
from quiver.services.context import Context
from quiver.services.feeds.service import create_feed
from quiver.services.orgs.service import create_org
from quiver.services.records import FeedRef, Principal

ADMIN = Principal(user_id=1, username="admin", is_admin=True)


def feed_ref(ref: str) -> FeedRef:
    """``ORG/FEED`` or ``ORG/PROJECT/FEED`` as a FeedRef."""
    org, *rest = ref.split("/")
    return FeedRef(org=org, project=rest[0] if len(rest) == 2 else None, feed=rest[-1])


def context_of(api: httpx.AsyncClient) -> Context:
    """The running app's Context (tests reach services through it)."""
    transport = api._transport
    assert isinstance(transport, httpx.ASGITransport)
    app = transport.app
    assert isinstance(app, FastAPI) or hasattr(app, "state")
    ctx: Context = app.state.ctx
    return ctx


async def make_feed(
    api: httpx.AsyncClient, ref: str = "acme/libs", visibility: str = "private"
) -> FeedRef:
    """Create the organization (if needed) and the feed as the admin."""
    ctx = context_of(api)
    parsed = feed_ref(ref)
    try:
        await create_org(ctx, ADMIN, parsed.org)
    except Exception as err:  # already there
        if "already exists" not in str(err):
            raise
    await create_feed(ctx, ADMIN, parsed, visibility=Visibility(visibility))
    return parsed


def upload_url(ref: str) -> str:
    *scope, feed = ref.split("/")
    return f"/{'/'.join(scope)}/_packaging/{feed}/pypi/upload/"


def form_for(
    path: Path, data: bytes | None = None, overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The fields twine sends with a file (name and version from the filename)."""
    data = path.read_bytes() if data is None else data
    stem = path.name.removesuffix(".whl").removesuffix(".tar.gz").removesuffix(".zip")
    name, version = stem.split("-")[:2]
    fields = {
        ":action": "file_upload",
        "protocol_version": "1",
        "name": name,
        "version": version,
        "filetype": "bdist_wheel" if path.name.endswith(".whl") else "sdist",
        "pyversion": "py3" if path.name.endswith(".whl") else "source",
        "metadata_version": "2.4",
        "sha256_digest": hashlib.sha256(data).hexdigest(),
    }
    fields.update(overrides or {})
    return fields


async def upload(
    api: httpx.AsyncClient,
    ref: str,
    path: Path,
    *,
    data: bytes | None = None,
    filename: str | None = None,
    fields: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """POST one file to the feed's upload API as a multipart form."""
    content = path.read_bytes() if data is None else data
    form = dict(form_for(path, content) if fields is None else fields)
    files = {"content": (filename or path.name, content, "application/octet-stream")}
    return await api.post(upload_url(ref), data=form, files=files, headers=headers)
