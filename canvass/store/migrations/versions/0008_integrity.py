"""Integrity: certified results kept as signed, accounts that can be stopped and scoped,
server-side web sessions, and a shared sign-in throttle.

Existing certifier accounts get no scope (`certify_scopes` null): they cannot sign
anything until an administrator gives them one (`canvass users scope NAME --county C` or
`--state`). Sign-offs made before this revision have no stored results.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from canvass.store.types import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("certification", sa.Column("results_json", sa.String(), nullable=True))
    op.add_column(
        "account",
        sa.Column("auth_epoch", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column("account", sa.Column("certify_scopes", sa.String(), nullable=True))
    op.create_table(
        "web_session",
        sa.Column("id_sha256", sa.String(64), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("auth_epoch", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_web_session_username", "web_session", ["username"])
    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_login_failure_username", "login_failure", ["username"])
    op.create_index("ix_login_failure_address", "login_failure", ["address"])
    op.create_index("ix_login_failure_at", "login_failure", ["at"])


def downgrade() -> None:
    op.drop_table("login_failure")
    op.drop_table("web_session")
    with op.batch_alter_table("account") as batch:
        batch.drop_column("certify_scopes")
        batch.drop_column("auth_epoch")
    with op.batch_alter_table("certification") as batch:
        batch.drop_column("results_json")
