"""blob claims: writers claim a blob key before putting it, so no purge deletes it under them

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "blob_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("blob_key", sa.String(length=400), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blob_claims")),
    )
    op.create_index(op.f("ix_blob_claims_blob_key"), "blob_claims", ["blob_key"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_blob_claims_blob_key"), table_name="blob_claims")
    op.drop_table("blob_claims")
