"""Progress per county and in total: how many precincts have reached each stage."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

from sqlalchemy import Engine, distinct, func, select
from sqlmodel import Session, col

from canvass.store.review import frozen_counties
from canvass.store.tables import (
    TEST_SOURCE,
    AuditRow,
    PhotoRow,
    PrecinctRow,
    ReadingRow,
    ReportRow,
    ReviewItemRow,
    UploadRow,
)

STAGES = ("photos", "read", "reported", "cleared", "in_review", "certified")


@dataclass(frozen=True)
class StageCounts:
    """Precincts at each stage: a photo stored, a reading, a report, compared by the last
    reconciliation with nothing left to review (`cleared`), items open or waiting
    (`in_review`), in a certified county (`certified`)."""

    precincts: int
    photos: int = 0
    read: int = 0
    reported: int = 0
    cleared: int = 0
    in_review: int = 0
    certified: int = 0

    def as_json(self) -> dict[str, int]:
        return asdict(self)


FURTHEST = ("certified", "in_review", "cleared", "read", "photos")
"""The stages a precinct can be furthest in, furthest first (for the progress bars)."""


@dataclass(frozen=True)
class Status:
    """`furthest`: per county (and "" for the whole election), how many precincts are
    furthest in each stage of FURTHEST: the stages above overlap (a certified precinct was
    also read), a stacked bar needs each precinct once."""

    counties: dict[str, StageCounts]
    total: StageCounts
    photos_stored: int
    furthest: dict[str, dict[str, int]] = field(default_factory=dict)


def election_status(engine: Engine, election_id: str) -> Status:
    with Session(engine) as session:
        rows = session.execute(
            select(col(PrecinctRow.id), col(PrecinctRow.county))
            .where(col(PrecinctRow.election_id) == election_id)
            .order_by(col(PrecinctRow.position))
        ).all()
        county_of: dict[str, str] = {str(p): str(c) for p, c in rows}
        photographed = _precincts(session, election_id, None)
        read = _precincts(session, election_id, "read")
        reported = set(
            session.execute(
                select(distinct(col(ReportRow.precinct_id))).where(
                    col(ReportRow.election_id) == election_id
                )
            ).scalars()
        )
        stored = session.execute(
            select(func.count())
            .select_from(PhotoRow)
            .where(col(PhotoRow.election_id) == election_id)
        ).scalar_one()
        waiting = set(
            session.execute(
                select(distinct(col(ReviewItemRow.precinct_id))).where(
                    col(ReviewItemRow.election_id) == election_id,
                    col(ReviewItemRow.status).in_(["open", "waiting"]),
                )
            ).scalars()
        )
        reviewed = set(
            session.execute(
                select(distinct(col(ReviewItemRow.precinct_id))).where(
                    col(ReviewItemRow.election_id) == election_id
                )
            ).scalars()
        )
        frozen = frozen_counties(session, election_id)
        ran = session.execute(
            select(col(AuditRow.seq)).where(col(AuditRow.action) == "reconcile.run").limit(1)
        ).first()
    compared = ((read & reported) | reviewed) if ran else set()
    stages = {
        "photos": photographed,
        "read": read,
        "reported": reported,
        "cleared": compared - waiting,
        "in_review": waiting,
        "certified": {p for p, c in county_of.items() if c in frozen},
    }
    counties = {
        county: _counts([p for p, c in county_of.items() if c == county], stages)
        for county in dict.fromkeys(county_of.values())
    }
    furthest = {
        county: _furthest([p for p, c in county_of.items() if c == county], stages)
        for county in counties
    }
    furthest[""] = _furthest(list(county_of), stages)
    return Status(counties, _counts(list(county_of), stages), int(stored), furthest)


def _furthest(precincts: list[str], stages: dict[str, set[str]]) -> dict[str, int]:
    counts = dict.fromkeys(FURTHEST, 0)
    for p in precincts:
        stage = next((s for s in FURTHEST if p in stages[s]), None)
        if stage is not None:
            counts[stage] += 1
    return counts


def _precincts(session: Session, election_id: str, status: str | None) -> set[str]:
    """Precincts with a photo (in `status`): the precinct read from the sheet, else the one
    the uploader declared (a phone upload often declares none)."""
    precinct = func.coalesce(col(ReadingRow.precinct_id), col(PhotoRow.declared_precinct))
    query = (
        select(distinct(precinct))
        .select_from(PhotoRow)
        .outerjoin(ReadingRow, col(ReadingRow.photo_id) == col(PhotoRow.id))
        .where(col(PhotoRow.election_id) == election_id)
    )
    if status:
        query = query.where(col(PhotoRow.status) == status)
    # A test sheet's photo, or one uploaded as a test photo, is no precinct's photo.
    tests = select(col(UploadRow.photo_id)).where(col(UploadRow.client_source) == TEST_SOURCE)
    query = query.where(col(PhotoRow.status) != "test", col(PhotoRow.id).not_in(tests))
    return {p for p in session.execute(query).scalars() if p}


def _counts(precincts: list[str], stages: dict[str, set[str]]) -> StageCounts:
    counter = Counter(
        {stage: len(members.intersection(precincts)) for stage, members in stages.items()}
    )
    return StageCounts(precincts=len(precincts), **counter)
