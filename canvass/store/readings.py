"""The adapter between machine readings and their rows.

A photo's machine reading is stored once, whoever reads it (`canvass read-queued`, the web
server's reader, any number of `canvass worker`s on any number of machines): the database
guarantees it, not a process. Two layers:

- a claim with a lease (`claim_photo`): a conditional UPDATE that only one reader wins, so
  two readers rarely spend time on the same photo. A claim lapses after `CLAIM_LEASE`, or
  at once when its holder was a process on this machine that no longer exists (a reader
  killed with SIGKILL and restarted does not wait for the lease);
- the unique `reading.photo_id` and the status change in the reading's own transaction
  (`record_reading`): even a reader whose lease lapsed mid-read cannot store a second one.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import CursorResult, Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from canvass.model import SheetReading
from canvass.store.audit import append
from canvass.store.db import session_scope
from canvass.store.tables import PhotoRow, ReadingRow, UploadRow

if TYPE_CHECKING:
    from reconcile.compare import Paper


@dataclass(frozen=True)
class QueuedPhoto:
    id: int
    blob_key: str
    media_type: str
    declared_precinct: str | None


CLAIM_LEASE = timedelta(minutes=2)
TEST_STATUS = "test"
"""The status of a test sheet's reading and photo: never `read`, so never paper."""
ClaimResult = Literal["claimed", "done", "busy"]


@dataclass(frozen=True)
class StoredReading:
    """The reading in force for a precinct; `earlier` holds the accepted readings of the
    precinct's earlier photos (photo id, reading), oldest first, so reconciliation can see
    when a later photo says something else than an earlier one."""

    photo_id: int
    declared_precinct: str | None
    reading: SheetReading
    read_at: datetime
    crops_dir: str | None
    earlier: tuple[tuple[int, SheetReading], ...] = ()


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
    photo already has a reading (another worker got there first): it is read once.

    A test sheet's reading (`reading.test_sheet`) is stored with status `test` and no
    precinct, and its photo marked `test`: every query of a precinct's paper selects
    status `read` by precinct, so a test reading never reaches results, reconciliation,
    the queue or a sign-off's manifest (`canvass/store/testdeck.py` reads it back)."""
    status: str = "failed" if failed else reading.status
    test = None if failed or reading.status != "read" else reading.test_sheet
    if test is not None:
        status = TEST_STATUS
    try:
        with session_scope(engine) as session:
            session.add(
                ReadingRow(
                    photo_id=photo_id,
                    election_id=election_id,
                    status=status,
                    reason=reading.reason,
                    precinct_id=None if test is not None else reading.precinct,
                    form=reading.form,
                    reading_json=reading.model_dump_json(),
                    crops_dir=crops_dir,
                    read_at=now,
                    test_sheet=test,
                )
            )
            photo = session.get(PhotoRow, photo_id)
            if photo is not None:
                photo.status = status
                photo.claimed_by = None
                photo.claim_expires_at = None
            details = {"status": status, "precinct": reading.precinct, "reason": reading.reason}
            if test is not None:
                details["test_sheet"] = test
            append(session, "reader", "photo.read", f"photo/{photo_id}", details)
    except IntegrityError:
        return False
    return True


def stored_photo(engine: Engine, photo_id: int) -> QueuedPhoto | None:
    """A stored photo by id (None when there is no such photo)."""
    with Session(engine) as session:
        r = session.get(PhotoRow, photo_id)
        return (
            None
            if r is None
            else QueuedPhoto(photo_id, r.blob_key, r.media_type, r.declared_precinct)
        )


def new_claimant() -> str:
    """A reader's identity in claims: host, process, and a nonce for this reader."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claim_photo(engine: Engine, photo_id: int, claimant: str, now: datetime) -> ClaimResult:
    """Try to become the one reader of a queued photo: `claimed`, `done` (it is read, or
    gone) or `busy` (another live reader holds it).

    Compare-and-set: the UPDATE names the holder it saw, so of two readers racing for the
    same photo exactly one changes the row. Reading the holder and writing are separate
    transactions because SQLite cannot turn a stale read into a write.
    """
    with Session(engine) as session:
        row = session.execute(
            select(
                col(PhotoRow.status), col(PhotoRow.claimed_by), col(PhotoRow.claim_expires_at)
            ).where(col(PhotoRow.id) == photo_id)
        ).one_or_none()
    if row is None or row.status != "queued":
        return "done"
    holder, expires = row.claimed_by, row.claim_expires_at
    live = holder not in (None, claimant) and expires is not None and expires > now
    if live and not _holder_is_dead(str(holder)):
        return "busy"
    seen = (
        col(PhotoRow.claimed_by).is_(None)
        if holder is None
        else (col(PhotoRow.claimed_by) == holder)
    )
    with session_scope(engine) as session:
        changed: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(PhotoRow)
            .where(col(PhotoRow.id) == photo_id, col(PhotoRow.status) == "queued", seen)
            .values(claimed_by=claimant, claim_expires_at=now + CLAIM_LEASE)
            .execution_options(synchronize_session=False)
        )
    return "claimed" if changed.rowcount == 1 else "busy"


def release_claim(engine: Engine, photo_id: int, claimant: str) -> None:
    """Give a photo back to the queue unread (its blob could not be fetched, or we stop)."""
    with session_scope(engine) as session:
        session.execute(
            update(PhotoRow)
            .where(col(PhotoRow.id) == photo_id, col(PhotoRow.claimed_by) == claimant)
            .values(claimed_by=None, claim_expires_at=None)
            .execution_options(synchronize_session=False)
        )


def _holder_is_dead(holder: str) -> bool:
    """True when the claim was made by a process on this machine that no longer runs."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname()[:80] or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def readings_in_force(
    engine: Engine, election_id: str, precinct: str | None = None
) -> dict[str, StoredReading]:
    """Per precinct (as read from the sheet), the accepted reading of its latest photo.

    Latest by when the photo was stored, not when it was read: readers on many machines
    finish in any order, and a retake must win over the photo it replaces.

    Earlier readings of the same precinct (retakes) stay stored and visible in the history;
    rejected photos never displace an accepted reading. `precinct`: only that one.
    """
    query = (
        select(ReadingRow, col(PhotoRow.declared_precinct))
        .join(PhotoRow, col(PhotoRow.id) == col(ReadingRow.photo_id))
        .where(col(ReadingRow.election_id) == election_id, col(ReadingRow.status) == "read")
        .order_by(col(PhotoRow.stored_at), col(PhotoRow.id))
    )
    if precinct is not None:
        query = query.where(col(ReadingRow.precinct_id) == precinct)
    in_force: dict[str, StoredReading] = {}
    with Session(engine) as session:
        for row, declared in session.execute(query):
            if row.precinct_id:
                before = in_force.get(row.precinct_id)
                earlier = () if before is None else (*before.earlier, _pair(before))
                in_force[row.precinct_id] = StoredReading(
                    row.photo_id,
                    declared,
                    SheetReading.model_validate_json(row.reading_json),
                    row.read_at,
                    row.crops_dir,
                    earlier,
                )
    return in_force


def reading_precinct(engine: Engine, photo_id: int) -> str | None:
    """The precinct a photo's accepted reading names (None: not read, or refused)."""
    with Session(engine) as session:
        return session.execute(
            select(col(ReadingRow.precinct_id)).where(
                col(ReadingRow.photo_id) == photo_id, col(ReadingRow.status) == "read"
            )
        ).scalar_one_or_none()


def paper_of(stored: StoredReading) -> Paper:
    """The reading in force as reconciliation takes it (the one adapter of the two).

    `reconcile.compare` is imported here, not with the module: it brings the reader's box
    arithmetic (numpy), which the progress counts and `canvass status` do not need."""
    from reconcile.compare import Paper

    return Paper(stored.photo_id, stored.reading, stored.declared_precinct, stored.earlier)


def _pair(stored: StoredReading) -> tuple[int, SheetReading]:
    return (stored.photo_id, stored.reading)


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
    in_force = readings_in_force(engine, election_id, precinct).get(precinct)
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
