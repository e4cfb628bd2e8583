"""derived sources: attachments and followed items are sources with a parent

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(
            sa.Column("origin", sa.String(20), nullable=False, server_default="config")
        )
        batch.add_column(sa.Column("parent_id", sa.String(80), nullable=True))
        batch.add_column(sa.Column("relation", sa.String(20), nullable=True))
        batch.add_column(sa.Column("options_json", sa.Text(), nullable=True))
        batch.create_index("ix_sources_parent_id", ["parent_id"])


def downgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.drop_index("ix_sources_parent_id")
        batch.drop_column("options_json")
        batch.drop_column("relation")
        batch.drop_column("parent_id")
        batch.drop_column("origin")
