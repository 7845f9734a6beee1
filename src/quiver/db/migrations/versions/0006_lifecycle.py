"""feed lifecycle: recycle bins, retention, download counts, change feed, job leases

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21

Columns are added with plain ``ADD COLUMN`` (no foreign keys on them), so SQLite
never rebuilds ``feeds``, ``versions`` or ``files`` (a rebuild's DROP would
cascade-delete their rows). ``feed_events`` and ``job_leases`` are new tables.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("versions", sa.Column("deleted_at", UTC_DATETIME, nullable=True))
    op.add_column("versions", sa.Column("deleted_by", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_versions_deleted_at"), "versions", ["deleted_at"], unique=False)
    op.add_column("feeds", sa.Column("deleted_at", UTC_DATETIME, nullable=True))
    op.add_column("feeds", sa.Column("deleted_by", sa.String(length=64), nullable=True))
    op.add_column("feeds", sa.Column("retention_max_versions", sa.Integer(), nullable=True))
    op.add_column("feeds", sa.Column("retention_days", sa.Integer(), nullable=True))
    op.add_column(
        "files",
        sa.Column("download_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column("files", sa.Column("last_download_at", UTC_DATETIME, nullable=True))
    op.create_table(
        "feed_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("package", sa.String(length=200), nullable=True),
        sa.Column("version", sa.String(length=100), nullable=True),
        sa.Column("view", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_feed_events_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["feed_id"], ["feeds.id"], name=op.f("fk_feed_events_feed_id_feeds"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_events")),
        sa.UniqueConstraint("feed_id", "seq", name=op.f("uq_feed_events_feed_id_seq")),
    )
    op.create_table(
        "job_leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=True),
        sa.Column("expires_at", UTC_DATETIME, nullable=True),
        sa.Column("last_started_at", UTC_DATETIME, nullable=True),
        sa.Column("last_finished_at", UTC_DATETIME, nullable=True),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_leases")),
    )


def downgrade() -> None:
    op.drop_table("job_leases")
    op.drop_table("feed_events")
    with op.batch_alter_table("files", recreate="never") as batch:
        batch.drop_column("last_download_at")
        batch.drop_column("download_count")
    with op.batch_alter_table("feeds", recreate="never") as batch:
        batch.drop_column("retention_days")
        batch.drop_column("retention_max_versions")
        batch.drop_column("deleted_by")
        batch.drop_column("deleted_at")
    op.drop_index(op.f("ix_versions_deleted_at"), table_name="versions")
    with op.batch_alter_table("versions", recreate="never") as batch:
        batch.drop_column("deleted_by")
        batch.drop_column("deleted_at")
