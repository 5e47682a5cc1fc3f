"""What uploaders say of their own photos: the precinct they typed, and "something
differs" (which fields, and what the sheet says), kept as evidence for reviewers.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from canvass.store.types import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "uploader_claim",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("election_id", sa.String(64), sa.ForeignKey("election.id"), nullable=False),
        sa.Column("photo_id", sa.Integer(), sa.ForeignKey("photo.id"), nullable=False),
        sa.Column("uploader", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("precinct_id", sa.String(64), nullable=True),
        sa.Column("typed", sa.String(64), nullable=True),
        sa.Column("values_json", sa.String(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("photo_id", "uploader", "digest"),
    )
    op.create_index("ix_uploader_claim_photo_id", "uploader_claim", ["photo_id"])
    op.create_index("ix_uploader_claim_precinct_id", "uploader_claim", ["precinct_id"])


def downgrade() -> None:
    op.drop_index("ix_uploader_claim_precinct_id", table_name="uploader_claim")
    op.drop_index("ix_uploader_claim_photo_id", table_name="uploader_claim")
    op.drop_table("uploader_claim")
