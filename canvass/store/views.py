"""Read-only views the pages and the reports need: one photo by digest, the paper in
force for one precinct, a precinct's items, who keyed what, what is withheld from blind
entry, what is certified, the resolved items a certified report lists.

They only read; every change goes through the store's own functions (intake, claim,
decide, sign-off). All SQL lives in `canvass.store`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from canvass.errors import NotFoundError
from canvass.model import SheetReading
from canvass.policy import BLIND_KINDS
from canvass.store.review import QueueItem, queue_item
from canvass.store.tables import DecisionRow, PhotoRow, ReadingRow, ReviewItemRow, UploadRow
from canvass.wording import decision_words, message_words

PHOTO_STATUS = {
    "queued": "queued",
    "read": "read",
    "rejected": "rejected",
    "failed": "rejected",
    "test": "test",  # a logic-and-accuracy test sheet's photo, read (never paper)
}


@dataclass(frozen=True)
class PhotoState:
    """A stored photo as its uploader follows it: queued, read or rejected. `withheld`:
    fields whose reading is not shown to the one asking (waiting for blind entry)."""

    photo_id: int
    sha256: str
    status: str
    declared_precinct: str | None
    reading: SheetReading | None
    blob_key: str
    media_type: str
    withheld: frozenset[str] = frozenset()

    @property
    def precinct(self) -> str | None:
        if self.reading is not None and self.reading.precinct:
            return self.reading.precinct
        return self.declared_precinct


@dataclass(frozen=True)
class PaperInForce:
    """The reading in force for a precinct, and where its photo and crops are."""

    photo_id: int
    sha256: str
    reading: SheetReading
    crops_dir: str | None
    read_at: datetime


def photo_state(engine: Engine, sha256: str) -> PhotoState:
    with Session(engine) as session:
        found = session.execute(
            select(PhotoRow, ReadingRow)
            .outerjoin(ReadingRow, col(ReadingRow.photo_id) == col(PhotoRow.id))
            .where(col(PhotoRow.sha256) == sha256.lower())
        ).first()
    if found is None:
        raise NotFoundError(f"no stored photo {sha256[:16]}...: upload it again")
    photo, reading = found
    return PhotoState(
        photo_id=photo.id or 0,
        sha256=photo.sha256,
        status=PHOTO_STATUS.get(photo.status, "queued"),
        declared_precinct=photo.declared_precinct,
        reading=None if reading is None else SheetReading.model_validate_json(reading.reading_json),
        blob_key=photo.blob_key,
        media_type=photo.media_type,
    )


def paper_in_force(engine: Engine, election_id: str, precinct: str) -> PaperInForce | None:
    """The latest accepted reading of `precinct`: the rule of
    `canvass.store.readings.readings_in_force`, for one precinct (a test keeps the two in
    step), so an item page does not parse every reading of the state."""
    return next(iter(precinct_papers(engine, election_id, precinct, limit=1)), None)


def precinct_papers(
    engine: Engine, election_id: str, precinct: str, limit: int | None = None
) -> list[PaperInForce]:
    """Every accepted reading of `precinct`, newest first (the first is the one in force);
    at most `limit` of them."""
    with Session(engine) as session:
        found = session.execute(
            select(ReadingRow, col(PhotoRow.sha256))
            .join(PhotoRow, col(PhotoRow.id) == col(ReadingRow.photo_id))
            .where(
                col(ReadingRow.election_id) == election_id,
                col(ReadingRow.status) == "read",
                col(ReadingRow.precinct_id) == precinct,
            )
            .order_by(col(ReadingRow.read_at).desc(), col(ReadingRow.id).desc())
            .limit(limit)
        ).all()
    return [
        PaperInForce(
            row.photo_id,
            sha,
            SheetReading.model_validate_json(row.reading_json),
            row.crops_dir,
            row.read_at,
        )
        for row, sha in found
    ]


def precinct_items(engine: Engine, election_id: str, precinct: str) -> list[QueueItem]:
    """Every current (not superseded) item of a precinct: its findings and discrepancies."""
    with Session(engine) as session:
        rows = session.execute(
            select(ReviewItemRow)
            .where(
                col(ReviewItemRow.election_id) == election_id,
                col(ReviewItemRow.precinct_id) == precinct,
                col(ReviewItemRow.status) != "superseded",
            )
            .order_by(col(ReviewItemRow.id))
        ).scalars()
        return [queue_item(r) for r in rows]


def entered_by(engine: Engine, reviewer: str, item_ids: list[int]) -> set[int]:
    """Which of these items `reviewer` has already decided or keyed (a blind entry waits
    for another reviewer, so it must not come back to the same one)."""
    if not item_ids:
        return set()
    with Session(engine) as session:
        rows = session.execute(
            select(col(DecisionRow.item_id)).where(
                col(DecisionRow.reviewer) == reviewer, col(DecisionRow.item_id).in_(item_ids)
            )
        ).scalars()
        return set(rows)


def certified_scopes(engine: Engine, election_id: str) -> dict[str, str]:
    """Scopes signed off and not reopened, with who signed them."""
    from canvass.store.tables import CertificationRow

    with Session(engine) as session:
        rows = session.execute(
            select(CertificationRow).where(
                col(CertificationRow.election_id) == election_id,
                col(CertificationRow.reopened_at).is_(None),
            )
        ).scalars()
        return {
            r.scope: f"{r.certifier} ({r.role}), {r.certified_at:%Y-%m-%d %H:%M} UTC" for r in rows
        }


def withheld_fields(engine: Engine, election_id: str, precinct: str | None) -> set[str]:
    """Fields of `precinct` waiting for blind entry (an open or waiting item of a blind
    kind): while they wait, no reviewer may see the machine's guess or the reports."""
    if precinct is None:
        return set()
    with Session(engine) as session:
        rows = session.execute(
            select(col(ReviewItemRow.fields_json)).where(
                col(ReviewItemRow.election_id) == election_id,
                col(ReviewItemRow.precinct_id) == precinct,
                col(ReviewItemRow.kind).in_(list(BLIND_KINDS)),
                col(ReviewItemRow.status).in_(["open", "waiting"]),
            )
        ).scalars()
        return {key for fields in rows for key in json.loads(fields)}


def uploaded_by(engine: Engine, sha256: str, username: str) -> bool:
    """Whether `username` sent this photo (its custody log names them)."""
    with Session(engine) as session:
        found = session.execute(
            select(col(UploadRow.id))
            .where(col(UploadRow.sha256) == sha256.lower(), col(UploadRow.uploader) == username)
            .limit(1)
        ).first()
        return found is not None


@dataclass(frozen=True)
class ReportItem:
    """A resolved item as the report and the certify page show it: `message` and `decision`
    in words (`canvass.wording`); the codes kept beside them (`kind`, `action`, `code`, the
    finding's) for the CSV's code columns."""

    id: int
    precinct: str
    kind: str
    message: str
    decision: str
    action: str = ""
    code: str = ""


def resolved_items(engine: Engine, election_id: str, scope: str) -> list[ReportItem]:
    """Every item of the scope that was resolved, with its final decision."""
    query = select(ReviewItemRow).where(
        col(ReviewItemRow.election_id) == election_id, col(ReviewItemRow.status) == "resolved"
    )
    if scope != "STATE":
        query = query.where(col(ReviewItemRow.county) == scope)
    items: list[ReportItem] = []
    with Session(engine) as session:
        for row in session.execute(query.order_by(col(ReviewItemRow.id))).scalars():
            final = session.execute(
                select(DecisionRow)
                .where(col(DecisionRow.item_id) == row.id, col(DecisionRow.final))
                .order_by(col(DecisionRow.id).desc())
                .limit(1)
            ).scalar_one_or_none()
            said = (
                ""
                if final is None
                else (
                    f"{decision_words(final.action, row.kind)}"
                    f"{'' if final.value is None else f': {final.value}'} "
                    f"({final.reviewer}: {final.reason})"
                )
            )
            details = json.loads(row.details_json)
            code = str(details.get("code") or "")
            message = message_words(str(details.get("message", "")), code)
            action = "" if final is None else final.action
            items.append(
                ReportItem(row.id or 0, row.precinct_id, row.kind, message, said, action, code)
            )
    return items
