"""Logic-and-accuracy test decks: a county's test sheets, the values scripted for each, and
which readings are of test sheets (kept out of results, queues and certification).

`reading.test_sheet` holds the test code a sheet's QR carried (null for every real
sheet); a reading with one has status `test`, which no query of results, reconciliation
or certification selects.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from canvass.store.types import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "testdeck",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("election_id", sa.String(64), sa.ForeignKey("election.id"), nullable=False),
        sa.Column("county", sa.String(128), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_testdeck_county", "testdeck", ["county"])
    op.create_table(
        "testdeck_sheet",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("deck_id", sa.Integer(), sa.ForeignKey("testdeck.id"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(32), nullable=False, unique=True),
        sa.Column("precinct_id", sa.String(64), nullable=False),
        sa.Column("writer", sa.String(128), nullable=True),
        sa.Column("values_json", sa.String(), nullable=False),
        sa.UniqueConstraint("deck_id", "number"),
    )
    op.create_index("ix_testdeck_sheet_deck_id", "testdeck_sheet", ["deck_id"])
    op.add_column("reading", sa.Column("test_sheet", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reading") as batch:
        batch.drop_column("test_sheet")
    op.drop_index("ix_testdeck_sheet_deck_id", table_name="testdeck_sheet")
    op.drop_table("testdeck_sheet")
    op.drop_index("ix_testdeck_county", table_name="testdeck")
    op.drop_table("testdeck")
