"""The database's side of `canvass doctor`: the queries that find rows which disagree with
each other (the blob store's side is in `ingest/doctor.py`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from canvass.store.tables import AuditRow, PhotoRow, ReadingRow

READ_STATUSES = ("read", "rejected", "failed", "test")


@dataclass(frozen=True)
class PhotoBlob:
    photo_id: int
    sha256: str
    blob_key: str
    status: str


def photo_blobs(engine: Engine) -> list[PhotoBlob]:
    """Every stored photo and the key of its bytes."""
    query = select(
        col(PhotoRow.id), col(PhotoRow.sha256), col(PhotoRow.blob_key), col(PhotoRow.status)
    ).order_by(col(PhotoRow.id))
    with Session(engine) as session:
        return [PhotoBlob(i, s, k, st) for i, s, k, st in session.execute(query)]


def readings_without_photo(engine: Engine) -> list[int]:
    """Readings whose photo row is gone (foreign keys make this impossible unless they were
    switched off)."""
    query = (
        select(col(ReadingRow.id))
        .outerjoin(PhotoRow, col(PhotoRow.id) == col(ReadingRow.photo_id))
        .where(col(PhotoRow.id).is_(None))
    )
    with Session(engine) as session:
        return list(session.execute(query).scalars())


def photos_read_more_than_once(engine: Engine) -> dict[int, int]:
    """photo id -> times read, where more than once: by reading rows, and independently by
    `photo.read` entries in the audit log (which commit with each reading)."""
    by_rows = (
        select(col(ReadingRow.photo_id), func.count())
        .group_by(col(ReadingRow.photo_id))
        .having(func.count() > 1)
    )
    by_log = (
        select(col(AuditRow.subject), func.count())
        .where(col(AuditRow.action) == "photo.read")
        .group_by(col(AuditRow.subject))
        .having(func.count() > 1)
    )
    found: dict[int, int] = {}
    with Session(engine) as session:
        for photo_id, n in session.execute(by_rows):
            found[int(photo_id)] = int(n)
        for subject, n in session.execute(by_log):
            photo_id = int(str(subject).removeprefix("photo/"))
            found[photo_id] = max(found.get(photo_id, 0), int(n))
    return found


def status_mismatches(engine: Engine) -> list[tuple[int, str]]:
    """(photo id, what is wrong): marked read with no reading, or queued with one."""
    query = select(col(PhotoRow.id), col(PhotoRow.status), col(ReadingRow.id)).outerjoin(
        ReadingRow, col(ReadingRow.photo_id) == col(PhotoRow.id)
    )
    wrong: list[tuple[int, str]] = []
    with Session(engine) as session:
        for photo_id, status, reading_id in session.execute(query):
            if status in READ_STATUSES and reading_id is None:
                wrong.append((photo_id, f"marked {status} but has no reading"))
            elif status == "queued" and reading_id is not None:
                wrong.append((photo_id, "has a reading but is still queued"))
    return wrong


def queued_photo_ids(engine: Engine) -> list[int]:
    with Session(engine) as session:
        return list(
            session.execute(
                select(col(PhotoRow.id)).where(col(PhotoRow.status) == "queued")
            ).scalars()
        )
