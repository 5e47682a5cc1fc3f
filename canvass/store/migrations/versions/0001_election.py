"""The election model: elections, candidates, counties, precincts.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from canvass.store.types import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "election",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("rule_set", sa.String(64), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("loaded_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "candidate",
        sa.Column("election_id", sa.String(64), sa.ForeignKey("election.id"), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.UniqueConstraint("election_id", "name"),
    )
    op.create_table(
        "county",
        sa.Column("election_id", sa.String(64), sa.ForeignKey("election.id"), primary_key=True),
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("state_delegate_ratio", sa.Float(), nullable=True),
        sa.Column("sde_per_attendee", sa.Float(), nullable=True),
    )
    op.create_table(
        "precinct",
        sa.Column("election_id", sa.String(64), sa.ForeignKey("election.id"), primary_key=True),
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("county", sa.String(128), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("short_code", sa.String(64), nullable=True),
        sa.Column("delegates_to_elect", sa.Integer(), nullable=True),
        sa.Column("sde_weight", sa.Float(), nullable=True),
        sa.Column("satellite", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["election_id", "county"], ["county.election_id", "county.name"]),
    )
    op.create_index("ix_precinct_county", "precinct", ["county"])


def downgrade() -> None:
    op.drop_index("ix_precinct_county", table_name="precinct")
    op.drop_table("precinct")
    op.drop_table("county")
    op.drop_table("candidate")
    op.drop_table("election")
