"""The adapter between what uploaders say of their own photos and its rows
(`uploader_claim`): a precinct typed with a photo that is not the election's (a known one
is in custody), and "something differs" (which fields, what the sheet says). Every claim
is written with its audit entry in one transaction; a replay (the same content from the
same person for the same photo) is the same row. The rules (whose photo, which fields,
what bounds) are the story's (`canvass.stories.uploader`); this module only stores and
reads.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from canvass.store.audit import append
from canvass.store.db import session_scope
from canvass.store.tables import PhotoRow, ReadingRow, UploaderClaimRow, UploadRow
from reconcile.said import Said

ClaimKind = Literal["typed_precinct", "sheet_differs"]


@dataclass(frozen=True)
class NewClaim:
    """A claim to store: who says what of which photo."""

    election_id: str
    photo_id: int
    sha256: str
    uploader: str
    kind: ClaimKind
    precinct: str | None
    typed: str | None
    values: dict[str, int]
    sent_at: datetime | None = None

    @property
    def digest(self) -> str:
        """The claim's content; a typed precinct is one per upload (`sent_at`), so the
        latest typed is the one said back even when an earlier text is typed again."""
        body = json.dumps(
            [self.kind, self.precinct, self.typed, self.values, self.sent_at],
            sort_keys=True,
            ensure_ascii=False,
            default=str,
        )
        return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True)
class Claim:
    """A stored claim; `replayed` when the same claim was already stored."""

    id: int
    photo_id: int
    sha256: str
    uploader: str
    kind: str
    precinct: str | None
    typed: str | None
    values: dict[str, int]
    at: datetime
    replayed: bool = False

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "photo": self.sha256,
            "uploader": self.uploader,
            "precinct": self.precinct,
            "fields": self.values,
            "at": self.at.isoformat(),
            "replayed": self.replayed,
        }


def record_claim(engine: Engine, claim: NewClaim, now: datetime) -> Claim:
    """Store `claim` and its audit entry together; the same claim again returns the stored
    row (`replayed`), whether it was sent before or races this one."""
    for _attempt in range(3):
        found = find_claim(engine, claim)
        if found is not None:
            return found
        try:
            return _insert(engine, claim, now)
        except IntegrityError:
            continue  # the same claim, sent twice at once: the other one won
    found = find_claim(engine, claim)
    assert found is not None, "a claim refused as a duplicate is stored"
    return found


def claims_sent(engine: Engine, photo_id: int, uploader: str, kind: ClaimKind) -> int:
    with Session(engine) as session:
        return int(
            session.execute(
                select(func.count()).where(
                    col(UploaderClaimRow.photo_id) == photo_id,
                    col(UploaderClaimRow.uploader) == uploader,
                    col(UploaderClaimRow.kind) == kind,
                )
            ).scalar_one()
        )


def typed_precinct(engine: Engine, photo_id: int, uploader: str) -> str | None:
    """What `uploader` typed as the precinct with their latest upload of the photo (None:
    nothing). A known precinct is in custody (`upload.declared_precinct`); an unknown one
    only here, written just after its upload row."""
    with Session(engine) as session:
        upload = session.execute(
            select(col(UploadRow.received_at), col(UploadRow.declared_precinct))
            .where(
                col(UploadRow.photo_id) == photo_id,
                col(UploadRow.uploader) == uploader,
            )
            .order_by(col(UploadRow.id).desc())
            .limit(1)
        ).first()
        typed = session.execute(
            select(col(UploaderClaimRow.at), col(UploaderClaimRow.typed))
            .where(
                col(UploaderClaimRow.photo_id) == photo_id,
                col(UploaderClaimRow.uploader) == uploader,
                col(UploaderClaimRow.kind) == "typed_precinct",
            )
            .order_by(col(UploaderClaimRow.id).desc())
            .limit(1)
        ).first()
    if typed is not None and (upload is None or typed[0] >= upload[0]):
        return typed[1]
    return None if upload is None else upload[1]


def precinct_claims(engine: Engine, election_id: str, precinct: str) -> list[Claim]:
    """Every "something differs" said of a photo read as `precinct`, oldest first."""
    with Session(engine) as session:
        rows = session.execute(
            select(UploaderClaimRow, col(PhotoRow.sha256))
            .join(PhotoRow, col(PhotoRow.id) == col(UploaderClaimRow.photo_id))
            .where(
                col(UploaderClaimRow.election_id) == election_id,
                col(UploaderClaimRow.precinct_id) == precinct,
                col(UploaderClaimRow.kind) == "sheet_differs",
            )
            .order_by(col(UploaderClaimRow.id))
        ).all()
        return [_claim(row, sha) for row, sha in rows]


def find_claim(engine: Engine, claim: NewClaim) -> Claim | None:
    with Session(engine) as session:
        row = session.execute(
            select(UploaderClaimRow).where(
                col(UploaderClaimRow.photo_id) == claim.photo_id,
                col(UploaderClaimRow.uploader) == claim.uploader,
                col(UploaderClaimRow.digest) == claim.digest,
            )
        ).scalar_one_or_none()
        return None if row is None else _claim(row, claim.sha256, replayed=True)


def _insert(engine: Engine, claim: NewClaim, now: datetime) -> Claim:
    with session_scope(engine) as session:
        row = UploaderClaimRow(
            election_id=claim.election_id,
            photo_id=claim.photo_id,
            uploader=claim.uploader,
            kind=claim.kind,
            precinct_id=claim.precinct,
            typed=claim.typed,
            values_json=json.dumps(claim.values, sort_keys=True),
            digest=claim.digest,
            at=now,
        )
        session.add(row)
        session.flush()
        details = {"precinct": claim.precinct, "typed": claim.typed, "fields": claim.values}
        append(session, claim.uploader, f"uploader.{claim.kind}", f"photo/{claim.sha256}", details)
        return _claim(row, claim.sha256)


def _claim(row: UploaderClaimRow, sha256: str, replayed: bool = False) -> Claim:
    return Claim(
        id=row.id or 0,
        photo_id=row.photo_id,
        sha256=sha256,
        uploader=row.uploader,
        kind=row.kind,
        precinct=row.precinct_id,
        typed=row.typed,
        values={k: int(v) for k, v in json.loads(row.values_json).items()},
        at=row.at,
        replayed=replayed,
    )


def statements_by_precinct(
    engine: Engine, election_id: str, only: str | None = None
) -> dict[str, dict[str, list[Said]]]:
    """Every "something differs" said of a photo read as a precinct's sheet (of `only`,
    when given), as reconciliation weighs it: precinct -> field -> statements, oldest
    first. A photo read as a test sheet is no precinct's paper, so its claims are not here."""
    query = (
        select(UploaderClaimRow, col(PhotoRow.sha256))
        .join(PhotoRow, col(PhotoRow.id) == col(UploaderClaimRow.photo_id))
        .join(ReadingRow, col(ReadingRow.photo_id) == col(UploaderClaimRow.photo_id))
        .where(
            col(UploaderClaimRow.election_id) == election_id,
            col(UploaderClaimRow.kind) == "sheet_differs",
            col(ReadingRow.status) == "read",
            col(ReadingRow.precinct_id) == col(UploaderClaimRow.precinct_id),
        )
        .order_by(col(UploaderClaimRow.id))
    )
    if only is not None:
        query = query.where(col(UploaderClaimRow.precinct_id) == only)
    found: dict[str, dict[str, list[Said]]] = {}
    with Session(engine) as session:
        for row, sha in session.execute(query).all():
            fields = found.setdefault(row.precinct_id or "", {})
            at = f"{row.at:%Y-%m-%d %H:%M:%S} UTC"
            for key, value in json.loads(row.values_json).items():
                fields.setdefault(key, []).append(Said(int(value), sha, row.uploader, at))
    return found
