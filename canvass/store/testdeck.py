"""The adapter between test decks and their rows, and the test readings' way back out.

A deck and its sheets are written in one transaction with their audit entry. A test
sheet's code (printed in its QR payload) is `<deck id>-<sheet number>`, unique in the
database. Test readings are the `reading` rows of status `test` (`record_reading` stores
them so); refused test photos are the refused photos whose custody says they were
uploaded as test photos (client source `testdeck`): a refused photo's QR code is never
read, so only its upload can say it was a test.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from canvass.model import SheetReading
from canvass.store.audit import append
from canvass.store.db import session_scope
from canvass.store.readings import TEST_STATUS
from canvass.store.tables import (
    TEST_SOURCE,
    DeckRow,
    DeckSheetRow,
    PhotoRow,
    ReadingRow,
    UploadRow,
)


@dataclass(frozen=True)
class NewSheet:
    number: int
    precinct: str
    writer: str | None
    values: dict[str, int | None]


@dataclass(frozen=True)
class StoredSheet:
    """One test sheet as stored, with its deck's county."""

    deck_id: int
    county: str
    number: int
    code: str
    precinct: str
    writer: str | None
    values: dict[str, int | None]


@dataclass(frozen=True)
class DeckReading:
    """A test sheet's reading: which photo, which code its QR carried, what was read."""

    photo_id: int
    sha256: str
    code: str
    reading: SheetReading
    crops_dir: str | None
    read_at: datetime


@dataclass(frozen=True)
class DeckRefusal:
    """A photo uploaded as a test photo and refused, with the reason."""

    photo_id: int
    sha256: str
    declared_precinct: str | None
    reason: str
    uploader: str
    stored_at: datetime


def sheet_code(deck_id: int, number: int) -> str:
    return f"{deck_id}-{number}"


def save_deck(
    engine: Engine,
    election_id: str,
    county: str,
    seed: int,
    created_by: str,
    now: datetime,
    sheets: Sequence[NewSheet],
) -> list[StoredSheet]:
    """Store a deck and its sheets (one transaction, logged); returns the sheets with
    their codes."""
    with session_scope(engine) as session:
        deck = DeckRow(
            election_id=election_id, county=county, seed=seed, created_by=created_by, created_at=now
        )
        session.add(deck)
        session.flush()
        deck_id = deck.id or 0
        stored = [
            StoredSheet(
                deck_id,
                county,
                s.number,
                sheet_code(deck_id, s.number),
                s.precinct,
                s.writer,
                s.values,
            )
            for s in sheets
        ]
        for s in stored:
            session.add(
                DeckSheetRow(
                    deck_id=deck_id,
                    number=s.number,
                    code=s.code,
                    precinct_id=s.precinct,
                    writer=s.writer,
                    values_json=json.dumps(s.values),
                )
            )
        details = {"county": county, "sheets": len(stored), "seed": seed}
        append(session, created_by, "testdeck.create", f"testdeck/{deck_id}", details)
    return stored


@dataclass(frozen=True)
class StoredDeck:
    id: int
    county: str
    seed: int
    created_by: str
    created_at: datetime


def decks(engine: Engine, election_id: str) -> list[StoredDeck]:
    """The election's test decks, newest first."""
    query = (
        select(DeckRow)
        .where(col(DeckRow.election_id) == election_id)
        .order_by(col(DeckRow.id).desc())
    )
    with Session(engine) as session:
        return [
            StoredDeck(d.id or 0, d.county, d.seed, d.created_by, d.created_at)
            for d in session.execute(query).scalars()
        ]


def deck_sheets(
    engine: Engine,
    election_id: str,
    county: str | None = None,
    deck_id: int | None = None,
    code: str | None = None,
) -> list[StoredSheet]:
    """Every test sheet of the election's decks (of one county, of one deck, or the one
    of that code), by deck and number."""
    query = (
        select(DeckSheetRow, DeckRow)
        .join(DeckRow, col(DeckRow.id) == col(DeckSheetRow.deck_id))
        .where(col(DeckRow.election_id) == election_id)
        .order_by(col(DeckRow.id), col(DeckSheetRow.number))
    )
    if county is not None:
        query = query.where(col(DeckRow.county) == county)
    if deck_id is not None:
        query = query.where(col(DeckRow.id) == deck_id)
    if code is not None:
        query = query.where(col(DeckSheetRow.code) == code)
    with Session(engine) as session:
        return [
            StoredSheet(
                sheet.deck_id,
                deck.county,
                sheet.number,
                sheet.code,
                sheet.precinct_id,
                sheet.writer,
                json.loads(sheet.values_json),
            )
            for sheet, deck in session.execute(query).all()
        ]


def deck_readings(
    engine: Engine, election_id: str, photo_id: int | None = None
) -> list[DeckReading]:
    """Every test sheet's reading (of one photo), oldest photo first."""
    query = (
        select(ReadingRow, col(PhotoRow.sha256))
        .join(PhotoRow, col(PhotoRow.id) == col(ReadingRow.photo_id))
        .where(col(ReadingRow.election_id) == election_id, col(ReadingRow.status) == TEST_STATUS)
        .order_by(col(PhotoRow.stored_at), col(PhotoRow.id))
    )
    if photo_id is not None:
        query = query.where(col(ReadingRow.photo_id) == photo_id)
    with Session(engine) as session:
        return [
            DeckReading(
                row.photo_id,
                sha,
                row.test_sheet or "",
                SheetReading.model_validate_json(row.reading_json),
                row.crops_dir,
                row.read_at,
            )
            for row, sha in session.execute(query).all()
        ]


def deck_refusals(engine: Engine, election_id: str) -> list[DeckRefusal]:
    """Photos uploaded as test photos that the reader refused, oldest first."""
    query = (
        select(PhotoRow, ReadingRow, UploadRow)
        .join(ReadingRow, col(ReadingRow.photo_id) == col(PhotoRow.id))
        .join(UploadRow, col(UploadRow.photo_id) == col(PhotoRow.id))
        .where(
            col(PhotoRow.election_id) == election_id,
            col(ReadingRow.status).in_(["rejected", "failed"]),
            col(UploadRow.client_source) == TEST_SOURCE,
        )
        .order_by(col(PhotoRow.stored_at), col(PhotoRow.id), col(UploadRow.id))
    )
    found: dict[int, DeckRefusal] = {}
    with Session(engine) as session:
        for photo, reading, upload in session.execute(query).all():
            pid = photo.id or 0
            found.setdefault(
                pid,
                DeckRefusal(
                    pid,
                    photo.sha256,
                    upload.declared_precinct or photo.declared_precinct,
                    reading.reason or "refused",
                    upload.uploader,
                    photo.stored_at,
                ),
            )
    return list(found.values())
