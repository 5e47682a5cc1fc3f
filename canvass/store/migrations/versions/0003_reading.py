"""Machine readings of photos.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from canvass.store.types import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reading",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("photo_id", sa.Integer(), sa.ForeignKey("photo.id"), nullable=False, unique=True),
        sa.Column("election_id", sa.String(64), sa.ForeignKey("election.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("precinct_id", sa.String(64), nullable=True),
        sa.Column("form", sa.String(64), nullable=True),
        sa.Column("reading_json", sa.String(), nullable=False),
        sa.Column("crops_dir", sa.String(255), nullable=True),
        sa.Column("read_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_reading_precinct_id", "reading", ["precinct_id"])


def downgrade() -> None:
    op.drop_index("ix_reading_precinct_id", table_name="reading")
    op.drop_table("reading")
