"""What one precinct's numbers rest on, read for the evidence pages (its photo readings
are `canvass.store.views.precinct_papers`): every version of every source's report, and
the decisions on its review items, each in one query.

The evidence story (`canvass.stories.evidence`) chooses from these what is in force (or,
for a certified county, what was signed); this module only reads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from canvass.store.tables import DecisionRow, ReportRow, ReviewItemRow


@dataclass(frozen=True)
class ReportEvidence:
    """One version of one source's report of the precinct, with its digest (the manifest
    of a sign-off lists the digests it saw)."""

    source: str
    version: int
    fields: dict[str, int | float]
    digest: str
    imported_at: datetime


@dataclass(frozen=True)
class DecisionEvidence:
    """One person's decision on one item of the precinct."""

    item_id: int
    reviewer: str
    action: str
    value: int | None
    reason: str
    final: bool
    at: datetime


def precinct_reports(engine: Engine, election_id: str, precinct: str) -> list[ReportEvidence]:
    """Every version of every source's report of `precinct`, newest version first."""
    with Session(engine) as session:
        rows = session.execute(
            select(ReportRow)
            .where(
                col(ReportRow.election_id) == election_id,
                col(ReportRow.precinct_id) == precinct,
            )
            .order_by(col(ReportRow.source), col(ReportRow.version).desc())
        ).scalars()
        return [
            ReportEvidence(
                r.source, r.version, json.loads(r.fields_json), r.fields_sha256, r.imported_at
            )
            for r in rows
        ]


def precinct_decisions(
    engine: Engine, election_id: str, precinct: str
) -> dict[int, list[DecisionEvidence]]:
    """Per review item of `precinct` (superseded ones too: their decisions were made),
    its decisions in the order they were made."""
    with Session(engine) as session:
        rows = session.execute(
            select(DecisionRow)
            .join(ReviewItemRow, col(ReviewItemRow.id) == col(DecisionRow.item_id))
            .where(
                col(ReviewItemRow.election_id) == election_id,
                col(ReviewItemRow.precinct_id) == precinct,
            )
            .order_by(col(DecisionRow.id))
        ).scalars()
        found: dict[int, list[DecisionEvidence]] = {}
        for d in rows:
            found.setdefault(d.item_id, []).append(
                DecisionEvidence(d.item_id, d.reviewer, d.action, d.value, d.reason, d.final, d.at)
            )
        return found
