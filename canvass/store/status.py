"""Progress per county and in total: how many precincts have reached each stage."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, Select, distinct, func, select

from canvass.store.lookups import TEST_SOURCE, frozen_scopes, latest_election_id
from canvass.store.reflected import Tables, tables_for

TABLES = (
    *("election", "precinct", "photo", "reading", "upload", "report"),
    *("review_item", "certification", "audit_log"),
)
"""The tables progress is read from."""
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


def election_status(engine: Engine, election_id: str | None, *, reflect: bool = False) -> Status:
    """Progress of `election_id` (None: the election loaded last). `reflect`: on the tables
    read from the database (`canvass.store.reflected`), for a command that must start fast."""
    with engine.connect() as connection:
        tables = tables_for(connection, reflect, TABLES)
        eid = election_id or latest_election_id(connection, tables)
        return _status(connection, tables, eid)


def _status(connection: Connection, tables: Tables, election_id: str) -> Status:
    precinct = tables["precinct"]
    rows = connection.execute(
        select(precinct.c.id, precinct.c.county)
        .where(precinct.c.election_id == election_id)
        .order_by(precinct.c.position)
    ).all()
    county_of: dict[str, str] = {str(p): str(c) for p, c in rows}
    items = tables["review_item"]
    waiting = _distinct(
        connection,
        select(distinct(items.c.precinct_id)).where(
            items.c.election_id == election_id, items.c.status.in_(["open", "waiting"])
        ),
    )
    reviewed = _distinct(
        connection, select(distinct(items.c.precinct_id)).where(items.c.election_id == election_id)
    )
    read = _precincts(connection, tables, election_id, "read")
    reported = _reported(connection, tables, election_id)
    compared = ((read & reported) | reviewed) if _reconciled(connection, tables) else set()
    frozen = frozen_scopes(connection, tables, election_id)
    stages = {
        "photos": _precincts(connection, tables, election_id, None),
        "read": read,
        "reported": reported,
        "cleared": compared - waiting,
        "in_review": waiting,
        "certified": {p for p, c in county_of.items() if c in frozen},
    }
    by_county: dict[str, list[str]] = {}  # in the election's order, each county once
    for p, c in county_of.items():
        by_county.setdefault(c, []).append(p)
    counties = {county: _counts(members, stages) for county, members in by_county.items()}
    furthest = {county: _furthest(members, stages) for county, members in by_county.items()}
    furthest[""] = _furthest(list(county_of), stages)
    stored = _photos_stored(connection, tables, election_id)
    return Status(counties, _counts(list(county_of), stages), stored, furthest)


def _distinct(connection: Connection, query: Select[Any]) -> set[str]:
    return set(connection.execute(query).scalars())


def _reported(connection: Connection, tables: Tables, election_id: str) -> set[str]:
    report = tables["report"]
    return _distinct(
        connection,
        select(distinct(report.c.precinct_id)).where(report.c.election_id == election_id),
    )


def _photos_stored(connection: Connection, tables: Tables, election_id: str) -> int:
    photo = tables["photo"]
    query = select(func.count()).select_from(photo).where(photo.c.election_id == election_id)
    return int(connection.execute(query).scalar_one())


def _reconciled(connection: Connection, tables: Tables) -> bool:
    """Whether reconciliation has run at all (before it, nothing counts as compared)."""
    audit = tables["audit_log"]
    query = select(audit.c.seq).where(audit.c.action == "reconcile.run").limit(1)
    return connection.execute(query).first() is not None


def _furthest(precincts: list[str], stages: dict[str, set[str]]) -> dict[str, int]:
    counts = dict.fromkeys(FURTHEST, 0)
    for p in precincts:
        stage = next((s for s in FURTHEST if p in stages[s]), None)
        if stage is not None:
            counts[stage] += 1
    return counts


def _precincts(
    connection: Connection, tables: Tables, election_id: str, status: str | None
) -> set[str]:
    """Precincts with a photo (in `status`): the precinct read from the sheet, else the one
    the uploader declared (a phone upload often declares none)."""
    photo, reading, upload = tables["photo"], tables["reading"], tables["upload"]
    precinct = func.coalesce(reading.c.precinct_id, photo.c.declared_precinct)
    query = (
        select(distinct(precinct))
        .select_from(photo)
        .outerjoin(reading, reading.c.photo_id == photo.c.id)
        .where(photo.c.election_id == election_id)
    )
    if status:
        query = query.where(photo.c.status == status)
    # A test sheet's photo, or one uploaded as a test photo, is no precinct's photo.
    tests = select(upload.c.photo_id).where(upload.c.client_source == TEST_SOURCE)
    query = query.where(photo.c.status != "test", photo.c.id.not_in(tests))
    return {p for p in connection.execute(query).scalars() if p}


def _counts(precincts: list[str], stages: dict[str, set[str]]) -> StageCounts:
    counter = Counter(
        {stage: len(members.intersection(precincts)) for stage, members in stages.items()}
    )
    return StageCounts(precincts=len(precincts), **counter)
