"""The review queue, decisions and certifications.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from canvass.store.types import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_item",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("election_id", sa.String(64), sa.ForeignKey("election.id"), nullable=False),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column("precinct_id", sa.String(64), nullable=False),
        sa.Column("county", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("fields_json", sa.String(), nullable=False),
        sa.Column("details_json", sa.String(), nullable=False),
        sa.Column("effect_delegates", sa.Integer(), nullable=False),
        sa.Column("effect_sde", sa.Float(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("claimed_by", sa.String(128), nullable=True),
        sa.Column("claim_expires_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_review_item_precinct_id", "review_item", ["precinct_id"])
    op.create_index("ix_review_item_county", "review_item", ["county"])
    op.create_index("ix_review_item_status", "review_item", ["status"])
    op.create_table(
        "decision",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("review_item.id"), nullable=False),
        sa.Column("reviewer", sa.String(128), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("value", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_decision_item_id", "decision", ["item_id"])
    op.create_table(
        "certification",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("election_id", sa.String(64), sa.ForeignKey("election.id"), nullable=False),
        sa.Column("scope", sa.String(128), nullable=False),
        sa.Column("certifier", sa.String(128), nullable=False),
        sa.Column("role", sa.String(128), nullable=False),
        sa.Column("manifest_sha256", sa.String(64), nullable=False),
        sa.Column("audit_head", sa.String(64), nullable=False),
        sa.Column("certified_at", UTCDateTime(), nullable=False),
        sa.Column("reopened_by", sa.String(128), nullable=True),
        sa.Column("reopen_reason", sa.String(), nullable=True),
        sa.Column("reopened_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_certification_scope", "certification", ["scope"])


def downgrade() -> None:
    op.drop_table("certification")
    op.drop_table("decision")
    op.drop_table("review_item")
