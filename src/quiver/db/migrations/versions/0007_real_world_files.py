"""real-world files: metadata warnings, upstream upload time and yank state, the pypi alias

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

``files.uploaded_at`` of a saved file now holds the upstream's upload time and
``saved_at`` when it was saved (rows saved before this revision keep their save time in
both: the upstream's time was not kept). Upstream rows whose URL is the default public
index become the ``pypi`` alias, which follows ``QUIVER_PYPI_URL`` from now on.
Plain ``ADD COLUMN`` only, so SQLite never rebuilds ``files``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
DEFAULT_PYPI_URL = "https://pypi.org/simple/"


def upgrade() -> None:
    op.add_column("files", sa.Column("saved_at", UTC_DATETIME, nullable=True))
    op.add_column(
        "files",
        sa.Column("upstream_yanked", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "files", sa.Column("upstream_yanked_reason", sa.String(length=512), nullable=True)
    )
    op.add_column("files", sa.Column("metadata_warnings", sa.JSON(), nullable=True))
    op.execute("UPDATE files SET saved_at = uploaded_at WHERE origin = 'upstream'")
    _set_url(DEFAULT_PYPI_URL, "pypi")


def downgrade() -> None:
    _set_url("pypi", DEFAULT_PYPI_URL)
    with op.batch_alter_table("files", recreate="never") as batch:
        batch.drop_column("metadata_warnings")
        batch.drop_column("upstream_yanked_reason")
        batch.drop_column("upstream_yanked")
        batch.drop_column("saved_at")


def _set_url(old: str, new: str) -> None:
    upstreams = sa.table("upstreams", sa.column("url", sa.String))
    op.execute(upstreams.update().where(upstreams.c.url == old).values(url=new))
