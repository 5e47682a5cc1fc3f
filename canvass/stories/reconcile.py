"""The application's stories, told with the stages: each function loads typed values
through the storage adapters, hands them to a pure stage, and stores what comes back."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from multiprocessing import get_context

from sqlalchemy import Engine

from canvass.model import Election
from canvass.progress import ProgressCallback
from canvass.store.claims import statements_by_precinct
from canvass.store.decide import decided_values
from canvass.store.intake import reports_by_precinct
from canvass.store.readings import StoredReading, paper_of, reading_precinct, readings_in_force
from canvass.store.review import NewItem, queue, sync_items
from canvass.stories.late_evidence import late_items
from reconcile.compare import (
    DEFAULT_CLEAR_THRESHOLD,
    Discrepancy,
    Paper,
    PrecinctResult,
    reconcile_precinct,
)
from reconcile.said import Said

PARALLEL_FROM = 200
"""From this many precincts, the comparisons (pure; each spends milliseconds in the
sheet's joint arithmetic) may run on several processes: starting them costs about a
second, which pays from a few hundred precincts."""


@dataclass(frozen=True)
class ReconcileSummary:
    precincts: int
    cleared: int
    in_review: int
    fields_cleared: int
    items_created: int

    def as_json(self) -> dict[str, int]:
        return {
            "precincts": self.precincts,
            "cleared": self.cleared,
            "in_review": self.in_review,
            "fields_cleared": self.fields_cleared,
            "items_created": self.items_created,
        }


def reconcile_election(
    engine: Engine,
    election: Election,
    now: datetime,
    clear_threshold: float = DEFAULT_CLEAR_THRESHOLD,
    progress: ProgressCallback | None = None,
    workers: int = 1,
) -> ReconcileSummary:
    """Compare the paper in force with every source for every precinct that has either,
    and bring the review queue up to date (idempotent; earlier decisions are kept).

    `workers` > 1: compare on that many processes (`canvass reconcile --workers`,
    `bench.state --reconcile-workers`). Off by default: starting them costs about a second
    of CPU each, so it pays only for many precincts: the whole state on two quiet cores
    took 9.3 s on two processes against 13.4 s on one, but 300 precincts on the loaded
    machine 15 s against 11 s."""
    return _reconcile(engine, election, None, now, clear_threshold, progress, workers=workers)


def reconcile_county(engine: Engine, election: Election, county: str, now: datetime) -> None:
    """Reconcile one county's precincts (before its sign-off: what arrived since the last
    reconciliation is weighed first, without reconciling the whole state)."""
    _reconcile(engine, election, None, now, DEFAULT_CLEAR_THRESHOLD, None, county)


def reconcile_photo(engine: Engine, election: Election, photo_id: int, now: datetime) -> None:
    """After one photo is read (a `canvass worker`): reconcile the precinct it was read as,
    so its reading reaches the queue and the results wherever reading happens, without
    anyone running `canvass reconcile`."""
    precinct = reading_precinct(engine, photo_id)
    if precinct is not None and precinct in election.precinct_by_id:
        _reconcile(engine, election, precinct, now, DEFAULT_CLEAR_THRESHOLD, None)


def recheck_precinct(engine: Engine, election: Election, precinct: str, now: datetime) -> int:
    """Reconcile one precinct again, after a decision on it: a value a person keyed is
    certain evidence in the sheet's sums, so it can settle other fields of the sheet.
    Returns how many of the precinct's open items that settled."""
    county = election.precinct_by_id[precinct].county

    def open_items() -> set[int]:
        return {i.id for i in queue(engine, election.id, county) if i.precinct_id == precinct}

    before = open_items()
    _reconcile(engine, election, precinct, now, DEFAULT_CLEAR_THRESHOLD, None)
    return len(before - open_items())


def _reconcile(
    engine: Engine,
    election: Election,
    only: str | None,
    now: datetime,
    clear_threshold: float,
    progress: ProgressCallback | None,
    county: str | None = None,
    workers: int = 1,
) -> ReconcileSummary:
    """Every precinct with paper or a report (or `only` that one; or those of `county`)."""
    papers = readings_in_force(engine, election.id, only)
    reports = reports_by_precinct(engine, election.id, only)
    decided = decided_values(engine, election.id, only)
    statements = statements_by_precinct(engine, election.id, only)
    touched = [
        p.id
        for p in election.precincts
        if (p.id in papers or p.id in reports) and county in (None, p.county)
    ]
    items: list[NewItem] = []
    fields_cleared = 0
    jobs = [
        (p, _paper(papers.get(p)), reports.get(p, {}), decided.get(p), statements.get(p, {}))
        for p in touched
    ]
    for done, result in enumerate(_compare_all(election, jobs, clear_threshold, workers), start=1):
        fields_cleared += len(result.cleared)
        home = election.precinct_by_id[result.precinct].county
        items += [_new_item(d, home) for d in result.discrepancies]
        if progress:
            progress(done, len(touched))
    late = late_items(engine, election, only)  # for certified counties: never silent
    items += [i for i in late if county in (None, i.county)]
    synced = sync_items(engine, election.id, touched, items, now)
    waiting = {i.precinct_id for i in queue(engine, election.id)}
    return ReconcileSummary(
        precincts=len(touched),
        cleared=sum(1 for p in touched if p not in waiting),
        in_review=len(waiting & set(touched)),
        fields_cleared=fields_cleared,
        items_created=synced.created,
    )


_Job = tuple[
    str,
    Paper | None,
    Mapping[str, Mapping[str, float]],
    Mapping[str, int] | None,
    Mapping[str, Sequence[Said]],
]


def _paper(stored: StoredReading | None) -> Paper | None:
    return paper_of(stored) if stored else None


def _compare_all(
    election: Election, jobs: Sequence[_Job], clear_threshold: float, workers: int
) -> Iterator[PrecinctResult]:
    """Each precinct's comparison, in the order of `jobs`: here, or for many precincts on
    `workers` spawned processes, each given the election once."""
    if len(jobs) < PARALLEL_FROM or workers < 2:
        for job in jobs:
            yield _compare(election, job, clear_threshold)
        return
    with ProcessPoolExecutor(
        workers, mp_context=get_context("spawn"), initializer=_hold, initargs=(election,)
    ) as pool:
        chunk = max(1, len(jobs) // (workers * 8))
        yield from pool.map(_compare_held, jobs, [clear_threshold] * len(jobs), chunksize=chunk)


class _Held:
    """The election a comparing process was given when it started (one per process)."""

    election: Election | None = None


def _hold(election: Election) -> None:
    _Held.election = election


def _compare_held(job: _Job, clear_threshold: float) -> PrecinctResult:
    election = _Held.election
    assert election is not None, "a comparing process is started with the election"
    return _compare(election, job, clear_threshold)


def _compare(election: Election, job: _Job, clear_threshold: float) -> PrecinctResult:
    precinct, paper, reports, decided, statements = job
    return reconcile_precinct(
        election, precinct, paper, reports, decided, clear_threshold, statements=statements
    )


def _new_item(d: Discrepancy, county: str) -> NewItem:
    details = dict(d.details) | {"message": d.message}
    return NewItem(
        key=d.key,
        precinct_id=d.precinct,
        county=county,
        kind=d.kind,
        fields=list(d.fields),
        details=details,
        effect_delegates=d.effect_delegates,
        effect_sde=float(d.effect_sde),
    )
