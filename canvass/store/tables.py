"""The database tables. Every schema change goes with an Alembic migration in `migrations/`
(a test compares these tables with the migrated schema)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKeyConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from canvass.store.types import UTCDateTime, utcnow


class ElectionRow(SQLModel, table=True):
    __tablename__ = "election"

    id: str = Field(primary_key=True, max_length=64)
    name: str
    rule_set: str = Field(max_length=64)
    content_sha256: str = Field(max_length=64)
    loaded_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class CandidateRow(SQLModel, table=True):
    __tablename__ = "candidate"
    __table_args__ = (UniqueConstraint("election_id", "name"),)

    election_id: str = Field(foreign_key="election.id", primary_key=True, max_length=64)
    position: int = Field(primary_key=True)
    name: str = Field(max_length=128)


class CountyRow(SQLModel, table=True):
    __tablename__ = "county"

    election_id: str = Field(foreign_key="election.id", primary_key=True, max_length=64)
    name: str = Field(primary_key=True, max_length=128)
    position: int
    kind: str = Field(max_length=32)
    state_delegate_ratio: float | None = None
    sde_per_attendee: float | None = None


class PrecinctRow(SQLModel, table=True):
    __tablename__ = "precinct"
    __table_args__ = (
        ForeignKeyConstraint(["election_id", "county"], ["county.election_id", "county.name"]),
    )

    election_id: str = Field(foreign_key="election.id", primary_key=True, max_length=64)
    id: str = Field(primary_key=True, max_length=64)
    position: int
    county: str = Field(max_length=128, index=True)
    name: str = Field(max_length=256)
    short_code: str | None = Field(default=None, max_length=64)
    delegates_to_elect: int | None = None
    sde_weight: float | None = None
    satellite: bool = False
