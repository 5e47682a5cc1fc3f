"""The election records the form its precincts' sheets use (`canvass.forms.registry`).

Elections loaded before this revision were all on the Iowa Democrats' Caucus Math
Worksheet, which the server default gives them.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "election",
        sa.Column("form", sa.String(64), nullable=False, server_default="caucus-math-worksheet"),
    )


def downgrade() -> None:
    with op.batch_alter_table("election") as batch:
        batch.drop_column("form")
