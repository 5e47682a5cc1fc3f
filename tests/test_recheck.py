"""A keyed value joins the sheet's sums at once: the decision that settles one smudged count
re-checks its precinct, and the rest of the column clears; on both databases."""

from __future__ import annotations

from canvass.settings import Settings
from canvass.store.accounts import add_account
from canvass.store.audit import verify_chain
from canvass.store.intake import ReportVersion, reports_by_precinct, store_reports
from canvass.store.readings import readings_in_force, record_reading
from canvass.store.review import queue, queue_item_by_id
from canvass.store.types import utcnow
from canvass.stories.reconcile import reconcile_election
from canvass.stories.review import decide_item
from ingest.photos import Custody, intake_photo
from tests.support.images import jpeg
from tests.support.intake import make_intake
from tests.support.iowa import IOWA
from tests.support.readings import PRECINCT, TALLY, reading_of, report_of, shaky

OTHER = "BENTON-BN"


def test_keying_one_smudged_count_settles_the_rest_of_its_column(
    database_settings: Settings,
) -> None:
    intake = make_intake(database_settings)
    smudged = {"first.Sanders": shaky(12, 4, 0.9), "first.Biden": shaky(7, 4, 0.9)}
    stored = intake_photo(intake, jpeg(seed=7), "bg.jpg", Custody("chair", "t", PRECINCT))
    assert stored.photo_id is not None
    record_reading(
        intake.engine, stored.photo_id, IOWA.id, reading_of(TALLY, **smudged), None, utcnow()
    )
    report = [ReportVersion(PRECINCT, report_of(TALLY), None)]
    store_reports(intake.engine, IOWA.id, "app", "app.csv", "sha-app", report, utcnow())
    engine = intake.engine
    for reviewer in ("ann", "bob"):
        add_account(engine, reviewer, "correct horse battery", "reviewer", utcnow())
    reconcile_election(engine, IOWA, utcnow())
    items = {i.fields[0]: i for i in queue(engine, IOWA.id)}
    assert set(items) == {"first.Sanders", "first.Biden"}
    biden = items["first.Biden"]
    for reviewer in ("ann", "bob"):  # no machine could read it: keyed blind, twice
        outcome = decide_item(
            engine, IOWA, biden.id, reviewer, "paper_says", "from the crop", utcnow(), 7
        )
    assert outcome.status == "resolved"
    assert "settle 1 more item of BENTON-BG" in outcome.message
    assert queue(engine, IOWA.id) == []
    assert queue_item_by_id(engine, biden.id).status == "resolved"
    assert queue_item_by_id(engine, items["first.Sanders"].id).status == "superseded"
    assert verify_chain(engine).ok


def test_the_stores_reads_can_be_narrowed_to_one_precinct(database_settings: Settings) -> None:
    intake = make_intake(database_settings)
    for seed, precinct in ((8, PRECINCT), (9, OTHER)):
        stored = intake_photo(intake, jpeg(seed=seed), "s.jpg", Custody("c", "t", precinct))
        assert stored.photo_id is not None
        record_reading(
            intake.engine,
            stored.photo_id,
            IOWA.id,
            reading_of(TALLY).model_copy(update={"precinct": precinct}),
            None,
            utcnow(),
        )
    reports = [ReportVersion(p, report_of(TALLY), None) for p in (PRECINCT, OTHER)]
    store_reports(intake.engine, IOWA.id, "app", "app.csv", "sha-app", reports, utcnow())
    assert set(readings_in_force(intake.engine, IOWA.id)) == {PRECINCT, OTHER}
    assert set(readings_in_force(intake.engine, IOWA.id, OTHER)) == {OTHER}
    assert set(reports_by_precinct(intake.engine, IOWA.id)) == {PRECINCT, OTHER}
    assert set(reports_by_precinct(intake.engine, IOWA.id, OTHER)) == {OTHER}
