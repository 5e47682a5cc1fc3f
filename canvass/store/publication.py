"""What a public export needs from the store, and its record in the audit log.

A publication shows, for every number, the evidence that justifies it: the photo in force
(its digest and where its bytes are) and the decisions people recorded on the field (who,
when, what, the value). These are read-only views over the photo and decision rows; the
publication itself is one audit entry (who published what, with the manifest's digest),
so a published export can be traced to the log it was made under.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from canvass.store.audit import append
from canvass.store.db import session_scope
from canvass.store.tables import DecisionRow, PhotoRow, ReviewItemRow


@dataclass(frozen=True)
class PhotoBlob:
    """A stored photo's digest and where its bytes are in the photo store."""

    photo_id: int
    sha256: str
    blob_key: str
    media_type: str


@dataclass(frozen=True)
class FieldDecision:
    """One recorded decision on a single-field item: who, when, what and the value;
    `final`: whether it settled the item (a lone blind entry is not final)."""

    precinct: str
    field: str
    item_id: int
    item_kind: str
    reviewer: str
    at: datetime
    action: str
    value: int | None
    final: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "item": self.item_id,
            "kind": self.item_kind,
            "reviewer": self.reviewer,
            "at": self.at.isoformat(),
            "action": self.action,
            "value": self.value,
            "final": self.final,
        }


def photo_blobs(engine: Engine, photo_ids: Collection[int]) -> dict[int, PhotoBlob]:
    """The stored photos of `photo_ids`, by id."""
    if not photo_ids:
        return {}
    with Session(engine) as session:
        rows = session.execute(
            select(PhotoRow).where(col(PhotoRow.id).in_(sorted(photo_ids)))
        ).scalars()
        return {r.id or 0: PhotoBlob(r.id or 0, r.sha256, r.blob_key, r.media_type) for r in rows}


def field_decisions(engine: Engine, election_id: str) -> dict[tuple[str, str], list[FieldDecision]]:
    """Per (precinct, field), the decisions recorded on the field's single-field items
    that settle or enter a number (`paper_says`, `confirm_reported`), oldest first."""
    query = (
        select(ReviewItemRow, DecisionRow)
        .join(DecisionRow, col(DecisionRow.item_id) == col(ReviewItemRow.id))
        .where(
            col(ReviewItemRow.election_id) == election_id,
            col(DecisionRow.action).in_(["paper_says", "confirm_reported"]),
        )
        .order_by(col(DecisionRow.id))
    )
    found: dict[tuple[str, str], list[FieldDecision]] = {}
    with Session(engine) as session:
        for item, decision in session.execute(query):
            fields = json.loads(item.fields_json)
            if len(fields) != 1:
                continue
            found.setdefault((item.precinct_id, fields[0]), []).append(
                FieldDecision(
                    item.precinct_id,
                    fields[0],
                    item.id or 0,
                    item.kind,
                    decision.reviewer,
                    decision.at,
                    decision.action,
                    decision.value,
                    decision.final,
                )
            )
    return found


def record_publication(engine: Engine, publisher: str, details: dict[str, Any]) -> str:
    """One audit entry for an export written (`publication.written`, subject the
    manifest's digest); returns the entry's hash."""
    subject = f"publication/{details.get('manifest_sha256', '')}"
    with session_scope(engine) as session:
        return append(session, publisher, "publication.written", subject, details)
