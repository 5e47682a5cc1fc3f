"""Reconciling the whole state raises late evidence in every certified county, whichever
county the last precinct reconciled is in (the loop once reused the `county` filter's
name for each precinct's county, so only the last precinct's county kept its items)."""

from __future__ import annotations

import pytest

from canvass.settings import Settings
from canvass.store.accounts import get_account
from canvass.store.db import open_engine
from canvass.store.intake import ReportVersion, store_reports
from canvass.store.readings import record_reading
from canvass.store.review import queue
from canvass.store.types import utcnow
from canvass.stories.certify import certify_scope
from canvass.stories.reconcile import reconcile_election
from ingest.photos import Custody, intake_photo
from tests.support.images import jpeg
from tests.support.intake import make_intake
from tests.support.iowa import CERTIFIED, IOWA
from tests.support.readings import reading_of, report_of
from tests.support.site import precincts_of, prepare_site


def test_late_evidence_of_a_county_before_the_last_one_reconciled_is_raised(
    database_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> None:
    site = prepare_site(database_settings, real_photo=False)
    engine = open_engine(site.settings)
    signer = get_account(engine, "pat")
    assert signer is not None
    certify_scope(engine, IOWA, "Audubon", signer, "chair", tmp_path_factory.mktemp("c"), utcnow())
    later = precincts_of("Benton")[0]  # reconciled after every precinct of Audubon
    report = [ReportVersion(later, report_of(CERTIFIED[later].tally), None)]
    store_reports(engine, IOWA.id, "app", "benton.jsonl", "sha-benton", report, utcnow())

    target = precincts_of("Audubon")[0]
    intake = make_intake(site.settings)
    stored = intake_photo(intake, jpeg(seed=4344), "late.jpg", Custody("chair", "t", target))
    assert stored.photo_id is not None
    reading = reading_of(CERTIFIED[target].tally)
    record_reading(engine, stored.photo_id, IOWA.id, reading, None, utcnow())
    reconcile_election(engine, IOWA, utcnow())

    late = queue(engine, IOWA.id, "Audubon", "late_evidence")
    assert [i.precinct_id for i in late] == [target]
    intake.engine.dispose()
    engine.dispose()
