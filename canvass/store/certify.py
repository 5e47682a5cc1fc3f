"""Certification: what blocks a sign-off, the evidence manifest, sign-off, freeze, reopen.

A county is certified only when every precinct has a paper record in force (or a
documented exception: a resolved `missing_paper` item), and no review item is open or
waiting (every discrepancy resolved, every math finding acknowledged). The state is
certified only when every county is. A certified county is frozen until an administrator
reopens it with a reason; all of it goes into the audit log.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from canvass.errors import ConflictError, InputError, NotFoundError, RefusedError
from canvass.model import Election
from canvass.policy import is_blind
from canvass.store.audit import append
from canvass.store.db import session_scope
from canvass.store.readings import readings_in_force
from canvass.store.review import frozen_counties
from canvass.store.signed import STATE as STATE  # where certified scopes are named
from canvass.store.tables import (
    CertificationRow,
    DecisionRow,
    PhotoRow,
    ReadingRow,
    ReportRow,
    ReviewItemRow,
)


@dataclass(frozen=True)
class SignOff:
    scope: str
    certifier: str
    role: str
    manifest_sha256: str
    audit_head: str
    certified_at: datetime


def documented_exceptions(engine: Engine, election_id: str) -> set[str]:
    """Precincts whose missing paper a reviewer resolved with a documented reason."""
    with Session(engine) as session:
        rows = session.execute(
            select(col(ReviewItemRow.precinct_id)).where(
                col(ReviewItemRow.election_id) == election_id,
                col(ReviewItemRow.kind) == "missing_paper",
                col(ReviewItemRow.status) == "resolved",
            )
        ).scalars()
        return set(rows)


NO_PAPER = "no_paper"
"""The kind of a blocker that is no review item: a precinct with no sheet read."""


@dataclass(frozen=True)
class Blocker:
    """One thing that blocks a county's sign-off: a precinct with no sheet read
    (`kind` NO_PAPER, no item) or an open or waiting review item, with its message."""

    precinct: str
    kind: str
    item_id: int | None = None
    status: str = ""
    message: str = ""
    code: str = ""

    def line(self) -> str:
        """The blocker as `canvass certify` and the API have always said it."""
        if self.item_id is None:
            return (
                f"{self.precinct}: no worksheet photo read (upload one, or document the exception)"
            )
        return f"{self.precinct}: review item {self.item_id} ({self.kind}) is {self.status}"


def blockers(engine: Engine, election: Election, scope: str) -> list[str]:
    """Everything that must be done before `scope` (a county or STATE) can be signed off."""
    if scope == STATE:
        return _state_blockers(engine, election)
    return [b.line() for b in county_blockers(engine, election, scope)]


def county_blockers(engine: Engine, election: Election, scope: str) -> list[Blocker]:
    """What blocks a county's sign-off, one by one: precincts with no sheet read, then the
    open and waiting items (by id)."""
    precincts = [p.id for p in election.precincts if p.county == scope]
    if not precincts:
        raise NotFoundError(f"no county {scope!r} in {election.name}: see `canvass status`")
    papers = readings_in_force(engine, election.id)
    excused = documented_exceptions(engine, election.id)
    found = [Blocker(p, NO_PAPER) for p in precincts if p not in papers and p not in excused]
    with Session(engine) as session:
        open_items = session.execute(
            select(ReviewItemRow)
            .where(
                col(ReviewItemRow.election_id) == election.id,
                col(ReviewItemRow.county) == scope,
                col(ReviewItemRow.status).in_(["open", "waiting"]),
            )
            .order_by(col(ReviewItemRow.id))
        ).scalars()
        rows = list(open_items)
    blind = {k for i in rows if is_blind(i.kind) for k in json.loads(i.fields_json)}
    for i in rows:
        details, fields = json.loads(i.details_json), json.loads(i.fields_json)
        message, code = str(details.get("message", "")), str(details.get("code") or "")
        if is_blind(i.kind) or blind & set(fields):
            message = f"{', '.join(fields)}: key it from the crop (blind double entry)"
        found.append(Blocker(i.precinct_id, i.kind, i.id, i.status, message, code))
    return found


def _state_blockers(engine: Engine, election: Election) -> list[str]:
    with Session(engine) as session:
        frozen = frozen_counties(session, election.id)
    counties = dict.fromkeys(p.county for p in election.precincts)
    return [f"{c}: not certified yet" for c in counties if c not in frozen]


def evidence_manifest(
    engine: Engine,
    election: Election,
    scope: str,
    results_sha256: str,
    rows_sha256: str | None = None,
) -> dict[str, Any]:
    """SHA-256 of every photo, reading, report and decision behind the scope's results,
    and of the results themselves: `results.csv`, and the rows kept with the sign-off
    (`rows_sha256`, the canonical JSON of `ResultRow.as_record`s), when given."""
    precincts = {p.id for p in election.precincts if scope == STATE or p.county == scope}
    with Session(engine) as session:
        readings = session.execute(
            select(ReadingRow, col(PhotoRow.sha256))
            .join(PhotoRow, col(PhotoRow.id) == col(ReadingRow.photo_id))
            .where(col(ReadingRow.election_id) == election.id)
            .order_by(col(ReadingRow.id))
        ).all()
        reports = (
            session.execute(
                select(ReportRow)
                .where(col(ReportRow.election_id) == election.id)
                .order_by(col(ReportRow.id))
            )
            .scalars()
            .all()
        )
        decisions = session.execute(
            select(DecisionRow, col(ReviewItemRow.precinct_id))
            .join(ReviewItemRow, col(ReviewItemRow.id) == col(DecisionRow.item_id))
            .order_by(col(DecisionRow.id))
        ).all()
    return {
        "election": election.id,
        "scope": scope,
        "results_csv_sha256": results_sha256,
        **({"results_rows_sha256": rows_sha256} if rows_sha256 else {}),
        "photos": sorted({sha for r, sha in readings if r.precinct_id in precincts}),
        "readings": [_digest(r.reading_json) for r, _ in readings if r.precinct_id in precincts],
        "reports": [r.fields_sha256 for r in reports if r.precinct_id in precincts],
        "decisions": [
            _digest(json.dumps([d.id, d.item_id, d.reviewer, d.action, d.value, d.reason, d.final]))
            for d, precinct in decisions
            if precinct in precincts
        ],
    }


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def manifest_digest(manifest: dict[str, Any]) -> str:
    return _digest(json.dumps(manifest, sort_keys=True, separators=(",", ":")))


def sign_off(
    engine: Engine,
    election: Election,
    scope: str,
    certifier: str,
    role: str,
    manifest: dict[str, Any],
    now: datetime,
    record: str | None = None,
) -> SignOff:
    """Record the sign-off, refused (with the list) while anything blocks it. `record`
    (`canvass.store.signed.record_json`: the rows signed and the manifest) is stored in
    the same transaction, so a certified scope is never without what was signed."""
    if not certifier.strip() or not role.strip():
        raise InputError("type your name and role (--certifier NAME --role ROLE)")
    problems = blockers(engine, election, scope)
    if problems:
        shown = "; ".join(problems[:5]) + (
            f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        )
        raise RefusedError(f"{scope} cannot be certified yet: {shown}")
    digest = manifest_digest(manifest)
    with session_scope(engine) as session:
        if scope in frozen_counties(session, election.id):
            raise ConflictError(f"{scope} is already certified")
        details = {"role": role, "manifest": digest}
        head = append(session, certifier, "certify", f"scope/{scope}", details)  # the new head
        session.add(
            CertificationRow(
                election_id=election.id,
                scope=scope,
                certifier=certifier.strip(),
                role=role.strip(),
                manifest_sha256=digest,
                audit_head=head,
                certified_at=now,
                results_json=record,
            )
        )
    return SignOff(scope, certifier.strip(), role.strip(), digest, head, now)


def certified_now(engine: Engine, election_id: str) -> set[str]:
    """The scopes (counties, STATE) certified and not reopened."""
    with Session(engine) as session:
        return frozen_counties(session, election_id)


def reopen(
    engine: Engine, election: Election, scope: str, admin: str, reason: str, now: datetime
) -> None:
    """Unfreeze a certified county (an administrator's act, with a reason, logged)."""
    if not admin.strip() or not reason.strip():
        raise InputError("reopening needs an administrator's name and a reason (--admin, --reason)")
    with session_scope(engine) as session:
        row = session.execute(
            select(CertificationRow).where(
                col(CertificationRow.election_id) == election.id,
                col(CertificationRow.scope) == scope,
                col(CertificationRow.reopened_at).is_(None),
            )
        ).scalar_one_or_none()
        if row is None:
            raise NotFoundError(f"{scope} is not certified: nothing to reopen")
        row.reopened_by, row.reopen_reason, row.reopened_at = admin.strip(), reason.strip(), now
        append(session, admin, "reopen", f"scope/{scope}", {"reason": reason})
