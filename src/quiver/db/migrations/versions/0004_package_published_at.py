"""packages.published_at: when a package was first published (not saved) to its feed

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # recreate="never": rebuilding ``packages`` on SQLite would cascade-delete its rows.
    with op.batch_alter_table("packages", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE packages SET published_at = created_at WHERE EXISTS ("
        " SELECT 1 FROM versions JOIN files ON files.version_id = versions.id"
        " WHERE versions.package_id = packages.id AND files.origin = 'local')"
    )


def downgrade() -> None:
    with op.batch_alter_table("packages", recreate="never") as batch_op:
        batch_op.drop_column("published_at")
