"""upstream health: when each upstream index last answered, and its last failure

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05

``last_ok_at`` (the last page fetched successfully), ``last_error_at`` and ``last_error``
(the last failure, one sentence without credentials, at most 300 characters) on
``upstreams``. All nullable, so existing rows are simply "not checked yet". Plain
``ADD COLUMN``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("upstreams", recreate="never") as batch:
        batch.add_column(sa.Column("last_ok_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("last_error", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("upstreams", recreate="never") as batch:
        batch.drop_column("last_error")
        batch.drop_column("last_error_at")
        batch.drop_column("last_ok_at")
