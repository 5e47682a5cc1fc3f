"""Reading on many machines: a claim with a lease on each photo, and (on PostgreSQL) the
procrastinate job queue in its own schema.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from canvass.store.jobs import (
    defer_queued_photos,
    drop_job_schema,
    install_job_schema,
    uses_job_queue,
)
from canvass.store.types import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("photo", sa.Column("claimed_by", sa.String(128), nullable=True))
    op.add_column("photo", sa.Column("claim_expires_at", UTCDateTime(), nullable=True))
    bind = op.get_bind()
    if uses_job_queue(bind):
        install_job_schema(bind)
        defer_queued_photos(bind)  # photos stored before the queue existed


def downgrade() -> None:
    bind = op.get_bind()
    if uses_job_queue(bind):
        drop_job_schema(bind)
    with op.batch_alter_table("photo") as batch:
        batch.drop_column("claim_expires_at")
        batch.drop_column("claimed_by")
