"""tracker sections: the parsed sections of watched trackers

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tracker_sections",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_id", sa.String(length=80), nullable=False),
        sa.Column("section_id", sa.String(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=True),
        sa.Column("status_level", sa.String(length=40), nullable=True),
        sa.Column("previous_status", sa.Text(), nullable=True),
        sa.Column("previous_status_date", sa.Text(), nullable=True),
        sa.Column("happening_now", sa.Text(), nullable=False),
        sa.Column("should_happen_next", sa.Text(), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_tracker_sections_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["snapshots.id"],
            name=op.f("fk_tracker_sections_snapshot_id_snapshots"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracker_sections")),
    )
    op.create_index(
        "ix_tracker_sections_source_section",
        "tracker_sections",
        ["source_id", "section_id"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ix_tracker_sections_source_section", table_name="tracker_sections")
    op.drop_table("tracker_sections")
