"""Intake: stored photos, the custody log of uploads, electronic reports.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from canvass.store.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "photo",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("election_id", sa.String(64), sa.ForeignKey("election.id"), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("media_type", sa.String(32), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("blob_key", sa.String(128), nullable=False),
        sa.Column("declared_precinct", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("stored_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_photo_declared_precinct", "photo", ["declared_precinct"])
    op.create_index("ix_photo_status", "photo", ["status"])
    op.create_table(
        "upload",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("election_id", sa.String(64), sa.ForeignKey("election.id"), nullable=False),
        sa.Column("photo_id", sa.Integer(), sa.ForeignKey("photo.id"), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("original_name", sa.String(255), nullable=False),
        sa.Column("uploader", sa.String(128), nullable=False),
        sa.Column("client_source", sa.String(64), nullable=False),
        sa.Column("declared_precinct", sa.String(64), nullable=True),
        sa.Column("received_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_upload_photo_id", "upload", ["photo_id"])
    op.create_index("ix_upload_sha256", "upload", ["sha256"])
    op.create_table(
        "report_import",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("election_id", sa.String(64), sa.ForeignKey("election.id"), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("stored", sa.Integer(), nullable=False),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("election_id", "source", "file_sha256"),
    )
    op.create_table(
        "report",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("election_id", sa.String(64), sa.ForeignKey("election.id"), nullable=False),
        sa.Column("precinct_id", sa.String(64), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("fields_json", sa.String(), nullable=False),
        sa.Column("fields_sha256", sa.String(64), nullable=False),
        sa.Column("import_id", sa.Integer(), sa.ForeignKey("report_import.id"), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=True),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("election_id", "precinct_id", "source", "version"),
        sa.ForeignKeyConstraint(
            ["election_id", "precinct_id"], ["precinct.election_id", "precinct.id"]
        ),
    )
    op.create_index("ix_report_precinct_id", "report", ["precinct_id"])


def downgrade() -> None:
    op.drop_table("report")
    op.drop_table("report_import")
    op.drop_table("upload")
    op.drop_table("photo")
