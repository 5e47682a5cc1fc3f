"""The adapter between the election model (`canvass.model`) and its rows.

This is the only place election rows become `Election` values and back.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from canvass.errors import ConflictError, NotReadyError
from canvass.model import County, Election, Precinct
from canvass.store.db import session_scope
from canvass.store.lookups import latest_election_id
from canvass.store.reflected import declared_tables
from canvass.store.tables import CandidateRow, CountyRow, ElectionRow, PrecinctRow
from canvass.store.types import utcnow


@dataclass(frozen=True)
class LoadOutcome:
    election_id: str
    precincts: int
    changed: bool


def content_sha256(election: Election) -> str:
    canonical = json.dumps(election.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def save_election(engine: Engine, election: Election) -> LoadOutcome:
    """Store `election` and make it the active one. Loading the same content again changes
    nothing but which election is active; different content under the same id replaces it,
    which is refused once anything refers to its precincts."""
    digest = content_sha256(election)
    with session_scope(engine) as session:
        row = session.get(ElectionRow, election.id)
        if row is not None and row.content_sha256 == digest:
            row.loaded_at = utcnow()
            return LoadOutcome(election.id, len(election.precincts), changed=False)
        if row is not None:
            _delete_children(session, election.id)
            row.name, row.rule_set, row.form = election.name, election.rule_set, election.form
            row.content_sha256 = digest
            row.loaded_at = utcnow()
        else:
            session.add(_election_row(election, digest))
        session.flush()
        _insert_children(session, election)
    return LoadOutcome(election.id, len(election.precincts), changed=True)


def _election_row(election: Election, digest: str) -> ElectionRow:
    return ElectionRow(
        id=election.id,
        name=election.name,
        rule_set=election.rule_set,
        form=election.form,
        content_sha256=digest,
    )


def _delete_children(session: Session, election_id: str) -> None:
    try:
        for table in (PrecinctRow, CountyRow, CandidateRow):
            session.execute(delete(table).where(col(table.election_id) == election_id))
        session.flush()
    except IntegrityError as exc:
        raise ConflictError(
            f"election {election_id} is already loaded with other content and has data that "
            "refers to it; load the new definition under a new id"
        ) from exc


def _insert_children(session: Session, election: Election) -> None:
    eid = election.id
    session.execute(
        insert(CandidateRow),
        [{"election_id": eid, "position": i, "name": n} for i, n in enumerate(election.candidates)],
    )
    session.execute(
        insert(CountyRow),
        [
            {"election_id": eid, "position": i, **c.model_dump()}
            for i, c in enumerate(election.counties)
        ],
    )
    session.execute(
        insert(PrecinctRow),
        [
            {"election_id": eid, "position": i, **p.model_dump()}
            for i, p in enumerate(election.precincts)
        ],
    )


def active_election_id(session: Session) -> str:
    return latest_election_id(session, declared_tables())


def load_election(engine: Engine, election_id: str | None = None) -> Election:
    """The election `election_id`, or the one loaded most recently."""
    with Session(engine) as session:
        eid = election_id or active_election_id(session)
        row = session.get(ElectionRow, eid)
        if row is None:
            raise NotReadyError(f"election {eid} is not loaded: run `canvass init`")
        candidates = session.execute(
            select(col(CandidateRow.name))
            .where(col(CandidateRow.election_id) == eid)
            .order_by(col(CandidateRow.position))
        ).scalars()
        counties = session.execute(
            select(CountyRow)
            .where(col(CountyRow.election_id) == eid)
            .order_by(col(CountyRow.position))
        ).scalars()
        precincts = session.execute(
            select(PrecinctRow)
            .where(col(PrecinctRow.election_id) == eid)
            .order_by(col(PrecinctRow.position))
        ).scalars()
        return Election(
            id=row.id,
            name=row.name,
            rule_set=row.rule_set,
            form=row.form,
            candidates=tuple(candidates),
            counties=tuple(_county(c) for c in counties),
            precincts=tuple(_precinct(p) for p in precincts),
        )


def _county(row: CountyRow) -> County:
    return County(
        name=row.name,
        kind="satellite_group" if row.kind == "satellite_group" else "county",
        state_delegate_ratio=row.state_delegate_ratio,
        sde_per_attendee=row.sde_per_attendee,
    )


def _precinct(row: PrecinctRow) -> Precinct:
    return Precinct(
        id=row.id,
        county=row.county,
        name=row.name,
        short_code=row.short_code,
        delegates_to_elect=row.delegates_to_elect,
        sde_weight=row.sde_weight,
        satellite=row.satellite,
    )
