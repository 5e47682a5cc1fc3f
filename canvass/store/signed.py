"""What was signed, as it was signed: the record kept with each sign-off, and the evidence
that arrived after it.

A sign-off (revision 0008 on) keeps its scope's result rows and its evidence manifest in
`certification.results_json` (`{"rows": [...], "manifest": {...}}`), written in the same
transaction as the sign-off. While the scope is certified its results are served from that
record, never recomputed; a photo read or a report imported later for one of its precincts
is new evidence the manifest does not list, found here so reconciliation can raise it.
Sign-offs made before 0008 have no record: their scopes are served live and their late
evidence cannot be told from the evidence signed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from canvass.store.tables import CertificationRow, PhotoRow, ReadingRow, ReportRow

STATE = "STATE"


@dataclass(frozen=True)
class SignedRecord:
    """One sign-off's record: the rows as signed (JSON objects, see
    `canvass.stories.results.ResultRow.as_record`) and the evidence manifest."""

    scope: str
    certifier: str
    certified_at: datetime
    reopened_at: datetime | None
    rows: list[dict[str, Any]]
    manifest: dict[str, Any]


@dataclass(frozen=True)
class LateEvidence:
    """A reading or report of a certified county's precinct that its sign-off did not
    see: `digest` is the photo's SHA-256 or the report's fields_sha256."""

    precinct: str
    county: str
    what: str  # "photo" | "report"
    digest: str
    source: str | None
    at: datetime


def record_json(rows: list[dict[str, Any]], manifest: dict[str, Any]) -> str:
    """The text stored in `certification.results_json`."""
    return json.dumps({"rows": rows, "manifest": manifest}, sort_keys=True)


def signed_records(
    engine: Engine, election_id: str, counties_only: bool = False
) -> dict[str, SignedRecord]:
    """Per scope, the record of its sign-off in force (certified, not reopened); scopes
    signed before revision 0008 (no record) are left out: they are served live.
    `counties_only` leaves out the state's (every row of the state: large)."""
    query = select(CertificationRow).where(
        col(CertificationRow.election_id) == election_id,
        col(CertificationRow.reopened_at).is_(None),
        col(CertificationRow.results_json).is_not(None),
    )
    if counties_only:
        query = query.where(col(CertificationRow.scope) != STATE)
    with Session(engine) as session:
        return {r.scope: _record(r) for r in session.execute(query).scalars()}


def latest_records(engine: Engine, election_id: str) -> dict[str, SignedRecord]:
    """Per county, the record of its latest sign-off, reopened or not: the evidence late
    for it is measured against that one until the county is signed again."""
    with Session(engine) as session:
        rows = session.execute(
            select(CertificationRow)
            .where(
                col(CertificationRow.election_id) == election_id,
                col(CertificationRow.scope) != STATE,
            )
            .order_by(col(CertificationRow.certified_at), col(CertificationRow.id))
        ).scalars()
        latest = {r.scope: r for r in rows}
    return {s: _record(r) for s, r in latest.items() if r.results_json is not None}


def _record(row: CertificationRow) -> SignedRecord:
    data = json.loads(row.results_json or "{}")
    return SignedRecord(
        scope=row.scope,
        certifier=row.certifier,
        certified_at=row.certified_at,
        reopened_at=row.reopened_at,
        rows=list(data.get("rows", [])),
        manifest=dict(data.get("manifest", {})),
    )


def late_evidence(
    engine: Engine, election_id: str, county_of: dict[str, str], only: str | None = None
) -> list[LateEvidence]:
    """Readings and reports of certified counties' precincts (of `only`, when given) that
    the latest sign-off's manifest does not list and that arrived before any reopening
    (evidence arriving after a reopening is ordinary evidence again)."""
    records = latest_records(engine, election_id)
    if not records:
        return []
    wanted = [p for p, c in county_of.items() if c in records and only in (None, p)]
    with Session(engine) as session:
        readings = session.execute(
            select(col(ReadingRow.precinct_id), col(PhotoRow.sha256), col(ReadingRow.read_at))
            .join(PhotoRow, col(PhotoRow.id) == col(ReadingRow.photo_id))
            .where(
                col(ReadingRow.election_id) == election_id,
                col(ReadingRow.status) == "read",
                col(ReadingRow.precinct_id).in_(wanted),
            )
            .order_by(col(ReadingRow.id))
        ).all()
        reports = list(
            session.execute(
                select(ReportRow)
                .where(
                    col(ReportRow.election_id) == election_id,
                    col(ReportRow.precinct_id).in_(wanted),
                )
                .order_by(col(ReportRow.id))
            ).scalars()
        )
    found = [
        LateEvidence(str(p), county_of[str(p)], "photo", sha, None, at) for p, sha, at in readings
    ]
    found += [
        LateEvidence(
            r.precinct_id,
            county_of[r.precinct_id],
            "report",
            r.fields_sha256,
            r.source,
            r.imported_at,
        )
        for r in reports
    ]
    return [e for e in found if _is_late(e, records[e.county])]


def _is_late(evidence: LateEvidence, record: SignedRecord) -> bool:
    listed = record.manifest.get("photos" if evidence.what == "photo" else "reports", [])
    if evidence.digest in listed:
        return False
    return record.reopened_at is None or evidence.at < record.reopened_at
