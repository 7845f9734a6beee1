"""Fuzzing the upload route: never a 5xx, and a refused upload leaves nothing behind.

Requests come from ``upload_strategies.uploads`` (metadata, archives, filenames, form
fields and multipart framing, each mostly right and sometimes wrong) and go to
``POST /acme/_packaging/libs/pypi/upload/`` as the admin, on SQLite and on PostgreSQL,
in-process. Every answer is a 2xx or a 4xx with a one-line message; after every answer
but a 200 the database has no new package, version, file or filename row and the data
directory no new file under ``blobs/`` or ``tmp/``.

``QUIVER_FUZZ_EXAMPLES`` times ``UPLOAD_FACTOR`` examples (default 6 x 40); see
``fuzzing.py`` for running long.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from sqlalchemy import func, select

from quiver.services.context import Context
from quiver.services.packages.models import File, FilenameRecord, Package, Version
from quiver.settings import Settings
from tests.http.fuzzing import ADMIN, AppClient, fuzz_examples, fuzz_settings, running_app, verdict
from tests.http.publishing import upload_url
from tests.http.upload_strategies import Upload, uploads

pytestmark = pytest.mark.fuzz

#: Upload examples per ``QUIVER_FUZZ_EXAMPLES`` (uploads are one route: it gets more).
UPLOAD_FACTOR = 40
FEED = "acme/libs"


async def _rows(ctx: Context) -> tuple[int, ...]:
    counts = []
    async with ctx.sessions() as session:
        for table in (Package, Version, File, FilenameRecord):
            counts.append(await session.scalar(select(func.count()).select_from(table)) or 0)
    return tuple(counts)


def _stored(settings: Settings) -> set[Path]:
    """Every file under the blob store's and the staging directories."""
    found: set[Path] = set()
    for directory in (settings.data_dir / "blobs", settings.tmp_dir):
        if directory.exists():
            found |= {path for path in directory.rglob("*") if path.is_file()}
    return found


def _snapshot(client: AppClient, settings: Settings) -> tuple[tuple[int, ...], set[Path]]:
    ctx: Context = client.app.state.ctx
    return client.call(_rows, ctx), _stored(settings)


def test_uploads_never_answer_5xx_and_refusals_leave_nothing(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_app(settings, monkeypatch) as client:
        created = client.post("/_apis/organizations", json={"name": "acme"}, headers=ADMIN)
        assert created.status_code == 201, created.text
        feeds = "/acme/_apis/packaging/feeds"
        created = client.post(feeds, json={"name": "libs"}, headers=ADMIN)
        assert created.status_code == 201, created.text

        @fuzz_settings(fuzz_examples() * UPLOAD_FACTOR)
        @given(upload=uploads())
        def run(upload: Upload) -> None:
            before = _snapshot(client, settings)
            headers = {**ADMIN, "Content-Type": upload.content_type}
            answer = client.post(upload_url(FEED), content=upload.body, headers=headers)
            verdict(answer, f"upload of {len(upload.body)} bytes ({upload.content_type})")
            if answer.status_code != 200:
                assert _snapshot(client, settings) == before, answer.text

        run()
