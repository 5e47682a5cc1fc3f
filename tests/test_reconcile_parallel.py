"""Reconciling many precincts on several processes gives exactly what one process gives:
the same summary, and a queue the sequential run leaves as it is (nothing new, nothing
superseded, every item's details the same)."""

from __future__ import annotations

import json
import subprocess

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from canvass.settings import Settings
from canvass.store.intake import ReportVersion, store_reports
from canvass.store.readings import record_reading
from canvass.store.tables import ReviewItemRow
from canvass.store.types import utcnow
from canvass.stories.reconcile import PARALLEL_FROM, reconcile_election
from ingest.photos import Custody, intake_photo
from tests.conftest import CANVASS, canvass_env
from tests.support.images import jpeg
from tests.support.intake import make_intake
from tests.support.iowa import CERTIFIED, IOWA
from tests.support.readings import reading_of, report_of

READ = 60  # precincts with a sheet read; the rest have only a report


def test_parallel_reconcile_is_the_sequential_one(sqlite_settings: Settings) -> None:
    intake = make_intake(sqlite_settings)
    engine = intake.engine
    precincts = [p.id for p in IOWA.precincts[: PARALLEL_FROM + 40]]
    photo = jpeg(64, 48, seed=7)
    for i, precinct in enumerate(precincts[:READ]):
        data = photo + i.to_bytes(4, "big")  # a distinct photo each
        stored = intake_photo(intake, data, f"{precinct}.jpg", Custody("chair", "t", precinct))
        assert stored.photo_id is not None
        reading = reading_of(CERTIFIED[precinct].tally)
        record_reading(engine, stored.photo_id, IOWA.id, reading, None, utcnow())
    reports = []
    for i, precinct in enumerate(precincts):
        report = report_of(CERTIFIED[precinct].tally)
        if i % 7 == 0:  # a mismatch now and then
            report = report | {"attendees": report["attendees"] + 3}
        reports.append(ReportVersion(precinct, report, None))
    store_reports(engine, IOWA.id, "app", "app.jsonl", "sha-parallel", reports, utcnow())

    parallel = reconcile_election(engine, IOWA, utcnow(), workers=2)
    first = _items(engine)
    sequential = reconcile_election(engine, IOWA, utcnow(), workers=1)
    assert parallel.precincts == len(precincts) and parallel.items_created > READ
    assert sequential.as_json() == parallel.as_json() | {"items_created": 0}
    assert _items(engine) == first
    # the command line's --workers runs the same story: nothing new on a third pass
    command = [CANVASS, "reconcile", "--workers", "2", "--json"]
    done = subprocess.run(command, env=canvass_env(sqlite_settings), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == sequential.as_json()
    assert _items(engine) == first
    engine.dispose()


def _items(engine: Engine) -> list[tuple[object, ...]]:
    with Session(engine) as session:
        rows = session.execute(select(ReviewItemRow).order_by(col(ReviewItemRow.id))).scalars()
        return [
            (r.key, r.precinct_id, r.kind, r.status, json.loads(r.details_json), r.effect_sde)
            for r in rows
        ]
