"""upstream view key: the casefold of ``upstreams.source_view``, the one key views match on

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04

Renaming or deleting a view finds the upstreams that read it by this key. Comparing SQL
``lower(source_view)`` with Python's ``casefold()`` missed names such as ``ÄRGER`` (SQLite
lowers ASCII only) or ``Straße`` (``ß`` casefolds to ``ss``). Existing rows are filled here
with Python's ``casefold``, so both databases hold the same key. Plain ``ADD COLUMN``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("upstreams", sa.Column("source_view_key", sa.String(length=64), nullable=True))
    upstreams = sa.table(
        "upstreams",
        sa.column("id", sa.Integer),
        sa.column("source_view", sa.String),
        sa.column("source_view_key", sa.String),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(upstreams.c.id, upstreams.c.source_view).where(
            upstreams.c.source_view.is_not(None)
        )
    ).all()
    for upstream_id, source_view in rows:
        connection.execute(
            upstreams.update()
            .where(upstreams.c.id == upstream_id)
            .values(source_view_key=source_view.casefold())
        )


def downgrade() -> None:
    with op.batch_alter_table("upstreams", recreate="never") as batch:
        batch.drop_column("source_view_key")
