"""upstream sources

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 07:04:30.393063

The upstream sources of feeds (``upstreams``), where each file came from
(``files.origin``, ``upstream_id``, ``upstream_name``, ``source_url``), a
package's upstream behaviour and a feed's ``readers_can_save``. New NOT NULL
columns carry server defaults so existing rows upgrade in place.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "upstreams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("username", sa.String(length=255), nullable=True),
        sa.Column("secret", sa.String(length=1024), nullable=True),
        sa.Column("source_feed_id", sa.Integer(), nullable=True),
        sa.Column("source_view", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["feed_id"], ["feeds.id"], name=op.f("fk_upstreams_feed_id_feeds"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["source_feed_id"],
            ["feeds.id"],
            name=op.f("fk_upstreams_source_feed_id_feeds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upstreams")),
        sa.UniqueConstraint("feed_id", "name", name=op.f("uq_upstreams_feed_id_name")),
        sa.UniqueConstraint("feed_id", "position", name=op.f("uq_upstreams_feed_id_position")),
    )
    with op.batch_alter_table("upstreams", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_upstreams_source_feed_id"), ["source_feed_id"], unique=False
        )

    # SQLite: add the columns in place. Rebuilding ``feeds`` or ``packages`` (what
    # batch mode does by default here) drops the old table, and with foreign keys
    # on that cascades: every package, version and file would be deleted.
    with op.batch_alter_table("feeds", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("readers_can_save", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    with op.batch_alter_table("packages", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column(
                "upstream_behavior",
                sa.String(length=32),
                server_default=sa.text("'default'"),
                nullable=False,
            )
        )

    # SQLite: adding the foreign key rebuilds ``files``, which is safe: no table
    # refers to it.
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "origin", sa.String(length=16), server_default=sa.text("'local'"), nullable=False
            )
        )
        batch_op.add_column(sa.Column("upstream_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("upstream_name", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("source_url", sa.String(length=2048), nullable=True))
        batch_op.create_index(batch_op.f("ix_files_upstream_id"), ["upstream_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_files_upstream_id_upstreams"),
            "upstreams",
            ["upstream_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_files_upstream_id_upstreams"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_files_upstream_id"))
        batch_op.drop_column("source_url")
        batch_op.drop_column("upstream_name")
        batch_op.drop_column("upstream_id")
        batch_op.drop_column("origin")

    # SQLite: drop the columns in place; rebuilding ``packages`` or ``feeds`` would
    # cascade-delete the rows that refer to them.
    with op.batch_alter_table("packages", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("upstream_behavior")

    with op.batch_alter_table("feeds", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("readers_can_save")

    with op.batch_alter_table("upstreams", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_upstreams_source_feed_id"))

    op.drop_table("upstreams")
