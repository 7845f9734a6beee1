"""The legacy upload API (``POST .../pypi/upload/``) as twine, uv, poetry and hatch send it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from quiver.api.deps import ContextDep, FeedRefDep, PrincipalDep
from quiver.api.metrics import count_upload
from quiver.api.multipart import UploadForm, read_form
from quiver.domain.errors import Invalid, NotFound
from quiver.domain.roles import Role
from quiver.services.access import authorize
from quiver.services.context import Context
from quiver.services.publish.service import DIGEST_FIELDS, UploadRequest, publish

router = APIRouter(tags=["upload"])
FIELD_SLACK = 256 * 1024


@router.post("/_packaging/{feed}/pypi/upload/", include_in_schema=True)
@router.post("/_packaging/{feed}/pypi/upload", include_in_schema=False)
async def upload(
    request: Request, ctx: ContextDep, principal: PrincipalDep, ref: FeedRefDep
) -> JSONResponse:
    """Publish one distribution file (multipart, ``:action=file_upload``).

    Credentials are checked before the body is read. Every rejection is a 4xx
    whose reason phrase is the message, which twine prints.
    """
    if ref.view is not None:
        raise NotFound("Publish to the feed itself, not to one of its views.")
    feed = await authorize(ctx, principal, ref, Role.CONTRIBUTOR)
    form = await _read(request, ctx)
    try:
        staged = _upload_request(form)
        row = await publish(ctx, principal, feed, staged)
    finally:
        form.discard()
    count_upload(request, staged.file.size)
    # Where the metadata bends the spec: kept, and said here (quiver publish shows it).
    warnings = list(row.metadata_warnings or [])
    return JSONResponse(
        {"message": f"Published {row.filename} to {feed.ref}.", "warnings": warnings}
    )


async def _read(request: Request, ctx: Context) -> UploadForm:
    settings = ctx.settings
    return await read_form(
        request.stream(),
        request.headers.get("content-type"),
        settings.tmp_dir,
        file_limit=settings.max_upload_bytes,
        field_limit=2 * settings.max_metadata_bytes + FIELD_SLACK,
    )


def _upload_request(form: UploadForm) -> UploadRequest:
    action = form.one(":action")
    if action not in (None, "file_upload"):
        raise Invalid(f"Unsupported :action {action!r}: only file_upload is supported.")
    if form.file is None:
        raise Invalid("Upload has no file: the 'content' field is missing.")
    return UploadRequest(
        file=form.file,
        name=form.one("name"),
        version=form.one("version"),
        filetype=form.one("filetype"),
        digests={name: value for name in DIGEST_FIELDS if (value := form.one(name))},
    )
