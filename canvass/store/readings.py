"""The adapter between machine readings and their rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from canvass.model import SheetReading
from canvass.store.audit import append
from canvass.store.db import session_scope
from canvass.store.tables import PhotoRow, ReadingRow, UploadRow


@dataclass(frozen=True)
class QueuedPhoto:
    id: int
    blob_key: str
    media_type: str
    declared_precinct: str | None


@dataclass(frozen=True)
class StoredReading:
    photo_id: int
    declared_precinct: str | None
    reading: SheetReading
    read_at: datetime
    crops_dir: str | None


def queued_photos(engine: Engine, election_id: str) -> list[QueuedPhoto]:
    """Photos stored but not yet read, oldest first."""
    with Session(engine) as session:
        rows = session.execute(
            select(PhotoRow)
            .where(col(PhotoRow.election_id) == election_id, col(PhotoRow.status) == "queued")
            .order_by(col(PhotoRow.id))
        ).scalars()
        return [QueuedPhoto(r.id or 0, r.blob_key, r.media_type, r.declared_precinct) for r in rows]


def record_reading(
    engine: Engine,
    photo_id: int,
    election_id: str,
    reading: SheetReading,
    crops_dir: str | None,
    now: datetime,
    failed: bool = False,
) -> bool:
    """Store a photo's reading and mark the photo read, in one transaction. False when the
    photo already has a reading (another worker got there first): it is read once."""
    status = "failed" if failed else reading.status
    try:
        with session_scope(engine) as session:
            session.add(
                ReadingRow(
                    photo_id=photo_id,
                    election_id=election_id,
                    status=status,
                    reason=reading.reason,
                    precinct_id=reading.precinct,
                    form=reading.form,
                    reading_json=reading.model_dump_json(),
                    crops_dir=crops_dir,
                    read_at=now,
                )
            )
            photo = session.get(PhotoRow, photo_id)
            if photo is not None:
                photo.status = status
            details = {"status": status, "precinct": reading.precinct, "reason": reading.reason}
            append(session, "reader", "photo.read", f"photo/{photo_id}", details)
    except IntegrityError:
        return False
    return True


def readings_in_force(engine: Engine, election_id: str) -> dict[str, StoredReading]:
    """Per precinct (as read from the sheet), its latest accepted reading.

    Earlier readings of the same precinct (retakes) stay stored and visible in the history;
    rejected photos never displace an accepted reading.
    """
    query = (
        select(ReadingRow, col(PhotoRow.declared_precinct))
        .join(PhotoRow, col(PhotoRow.id) == col(ReadingRow.photo_id))
        .where(col(ReadingRow.election_id) == election_id, col(ReadingRow.status) == "read")
        .order_by(col(ReadingRow.read_at), col(ReadingRow.id))
    )
    in_force: dict[str, StoredReading] = {}
    with Session(engine) as session:
        for row, declared in session.execute(query):
            if row.precinct_id:
                in_force[row.precinct_id] = StoredReading(
                    row.photo_id,
                    declared,
                    SheetReading.model_validate_json(row.reading_json),
                    row.read_at,
                    row.crops_dir,
                )
    return in_force


@dataclass(frozen=True)
class PhotoHistory:
    """One stored photo of a precinct, what custody says of it, and its reading."""

    photo_id: int
    sha256: str
    stored_at: datetime
    uploads: list[str]
    declared_precinct: str | None
    read_precinct: str | None
    status: str
    reason: str | None
    in_force: bool


def photo_history(engine: Engine, election_id: str, precinct: str) -> list[PhotoHistory]:
    """Every photo declared as, or read as, `precinct`, oldest first; the one whose
    reading is in force is marked."""
    in_force = readings_in_force(engine, election_id).get(precinct)
    query = (
        select(PhotoRow, ReadingRow)
        .outerjoin(ReadingRow, col(ReadingRow.photo_id) == col(PhotoRow.id))
        .where(
            col(PhotoRow.election_id) == election_id,
            (col(PhotoRow.declared_precinct) == precinct)
            | (col(ReadingRow.precinct_id) == precinct),
        )
        .order_by(col(PhotoRow.id))
    )
    history: list[PhotoHistory] = []
    with Session(engine) as session:
        for photo, reading in session.execute(query).all():
            uploads = session.execute(
                select(UploadRow)
                .where(col(UploadRow.photo_id) == photo.id)
                .order_by(col(UploadRow.id))
            ).scalars()
            history.append(
                PhotoHistory(
                    photo_id=photo.id or 0,
                    sha256=photo.sha256,
                    stored_at=photo.stored_at,
                    uploads=[_custody_line(u) for u in uploads],
                    declared_precinct=photo.declared_precinct,
                    read_precinct=None if reading is None else reading.precinct_id,
                    status=photo.status,
                    reason=None if reading is None else reading.reason,
                    in_force=in_force is not None and in_force.photo_id == photo.id,
                )
            )
    return history


def _custody_line(upload: UploadRow) -> str:
    when = f"{upload.received_at:%Y-%m-%d %H:%M} UTC"
    return f"{when} {upload.uploader} ({upload.outcome}, {upload.original_name})"
