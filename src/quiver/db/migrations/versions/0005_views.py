"""views of feeds and the versions promoted to them

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21

``feed_views`` (a feed's views other than ``local``) and ``view_versions``.
Every existing feed gets the views ``prerelease`` and ``release``. New tables
only: nothing here rebuilds ``feeds``, ``packages`` or ``versions`` (on SQLite
that would cascade-delete their rows).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feed_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("name_key", sa.String(length=64), nullable=False),
        sa.Column("visibility", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["feed_id"], ["feeds.id"], name=op.f("fk_feed_views_feed_id_feeds"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_views")),
        sa.UniqueConstraint("feed_id", "name_key", name=op.f("uq_feed_views_feed_id_name_key")),
    )
    op.create_table(
        "view_versions",
        sa.Column("view_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("promoted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("promoted_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["view_id"],
            ["feed_views.id"],
            name=op.f("fk_view_versions_view_id_feed_views"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["versions.id"],
            name=op.f("fk_view_versions_version_id_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["promoted_by"],
            ["users.id"],
            name=op.f("fk_view_versions_promoted_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("view_id", "version_id", name=op.f("pk_view_versions")),
    )
    op.create_index(
        op.f("ix_view_versions_version_id"), "view_versions", ["version_id"], unique=False
    )
    now = sa.func.current_timestamp()
    feeds = sa.table("feeds", sa.column("id", sa.Integer()))
    for name in ("prerelease", "release"):
        op.execute(
            sa.insert(
                sa.table(
                    "feed_views",
                    sa.column("feed_id", sa.Integer()),
                    sa.column("name", sa.String()),
                    sa.column("name_key", sa.String()),
                    sa.column("created_at", sa.DateTime(timezone=True)),
                )
            ).from_select(
                ["feed_id", "name", "name_key", "created_at"],
                sa.select(feeds.c.id, sa.literal(name), sa.literal(name), now),
            )
        )


def downgrade() -> None:
    op.drop_index(op.f("ix_view_versions_version_id"), table_name="view_versions")
    op.drop_table("view_versions")
    op.drop_table("feed_views")
