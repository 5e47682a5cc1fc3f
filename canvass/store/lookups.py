"""Small read-only questions the whole store asks, written once on SQLAlchemy Core so they
run on either table source (`canvass.store.reflected`): inside a full unit of work (a
SQLModel session, the declared tables) as in a light command (a connection, the tables
read from the database). Nothing here imports SQLModel (issue 17).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from canvass.errors import NotReadyError
from canvass.store.reflected import Tables

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

TEST_SOURCE = "testdeck"
"""The client source of a photo uploaded as a logic-and-accuracy test photo (`canvass
ingest --source testdeck`, the test deck page's upload): no precinct's photo, even refused."""


def latest_election_id(connection: Connection | Session, tables: Tables) -> str:
    """The election loaded most recently: the one every command works on."""
    election = tables["election"]
    found = connection.execute(
        select(election.c.id).order_by(election.c.loaded_at.desc()).limit(1)
    ).scalar_one_or_none()
    if found is None:
        raise NotReadyError("no election is loaded: run `canvass init` first")
    return str(found)


def frozen_scopes(connection: Connection | Session, tables: Tables, election_id: str) -> set[str]:
    """The counties certified and not reopened: frozen, nothing in them can change."""
    certification = tables["certification"]
    rows = connection.execute(
        select(certification.c.scope).where(
            certification.c.election_id == election_id,
            certification.c.reopened_at.is_(None),
        )
    ).scalars()
    return {str(r) for r in rows}
