"""The evidence story on both databases: the number behind a field and whether it is
settled, the photo and crop in force, each source's value, the decisions in words; blind
fields withheld until settled; a certified county's number and photo as signed."""

from __future__ import annotations

import pytest

from canvass.errors import NotFoundError
from canvass.forms.registry import form_of
from canvass.settings import Settings
from canvass.store.accounts import get_account
from canvass.store.db import open_engine
from canvass.store.decide import decide
from canvass.store.readings import record_reading
from canvass.store.review import claim, queue
from canvass.store.types import utcnow
from canvass.store.views import paper_in_force
from canvass.stories.certify import certify_scope
from canvass.stories.evidence import field_evidence, key_at, precinct_evidence
from canvass.stories.reconcile import reconcile_election
from ingest.photos import Custody, intake_photo
from tests.support.images import jpeg
from tests.support.intake import make_intake
from tests.support.iowa import CERTIFIED, IOWA
from tests.support.readings import reading_of
from tests.support.site import MISMATCH_FIELD, SiteData, precincts_of, prepare_site

ADAMS = precincts_of("Adams")


@pytest.fixture
def site(database_settings: Settings) -> SiteData:
    return prepare_site(database_settings, real_photo=False)


def test_a_mismatch_is_provisional_then_settled_with_its_decision_in_words(
    site: SiteData,
) -> None:
    engine = open_engine(site.settings)
    precinct = ADAMS[0]
    truth = CERTIFIED[precinct].tally.final["Sanders"]
    before = field_evidence(engine, IOWA, precinct, MISMATCH_FIELD)
    assert before.label == "Final alignment, Sanders"
    assert before.number == truth and before.provisional and not before.settled
    assert [(r.source, r.value) for r in before.reported] == [("app", truth + 10)]
    assert before.machine_value == truth and before.machine_status == "ok"
    assert "mismatch" in [i.kind for i in before.items] and before.decisions == ()
    paper = paper_in_force(engine, IOWA.id, precinct)
    assert paper is not None and before.photo_sha256 == paper.sha256
    assert before.crop_key is None  # these readings kept no crops

    [item] = [i for i in queue(engine, IOWA.id, "Adams", "mismatch")]
    claim(engine, item.id, "ann", utcnow())
    decide(engine, item.id, "ann", "paper_says", "the sheet shows it", utcnow(), value=truth)
    for finding in queue(engine, IOWA.id, "Adams", "math_finding"):
        if finding.precinct_id == precinct:
            claim(engine, finding.id, "bob", utcnow())
            decide(engine, finding.id, "bob", "acknowledge", "a coin toss", utcnow())
    after = field_evidence(engine, IOWA, precinct, MISMATCH_FIELD)
    assert after.settled and after.number == truth
    [said] = [d for d in after.decisions if d.reviewer == "ann"]
    assert (said.reviewer, said.words, said.reason, said.final) == (
        "ann",
        f"The paper says: {truth}",
        "the sheet shows it",
        True,
    )
    engine.dispose()


def test_a_field_waiting_for_blind_entry_is_withheld(site: SiteData) -> None:
    engine = open_engine(site.settings)
    shown = field_evidence(engine, IOWA, site.blind_precinct, site.blind_field)
    assert shown.withheld and not shown.settled
    assert shown.number is None and shown.machine_value is None
    assert shown.machine_confidence is None and shown.reported == () and shown.decisions == ()
    [item] = [i for i in queue(engine, IOWA.id, "Adams", "unreadable")]
    for who in ("ann", "bob"):
        claim(engine, item.id, who, utcnow())
        decide(engine, item.id, who, "paper_says", "from the crop", utcnow(), site.blind_value)
        if who == "ann":
            again = field_evidence(engine, IOWA, site.blind_precinct, site.blind_field)
            assert again.withheld and again.entries == 1 and again.decisions == ()
    reconcile_election(engine, IOWA, utcnow())
    settled = field_evidence(engine, IOWA, site.blind_precinct, site.blind_field)
    assert not settled.withheld and settled.number == site.blind_value
    assert [d.reviewer for d in settled.decisions] == ["ann", "bob"]
    assert settled.reported and settled.reported[0].value == site.blind_value
    engine.dispose()


def test_every_field_of_a_precinct_in_the_forms_order(site: SiteData) -> None:
    engine = open_engine(site.settings)
    fields = precinct_evidence(engine, IOWA, precincts_of("Audubon")[1])  # all settled
    keys = form_of(IOWA).reported_keys(IOWA.candidates)
    assert [f.key for f in fields] == keys and [f.index for f in fields] == list(range(len(keys)))
    assert all(f.in_results and f.settled for f in fields)
    assert key_at(IOWA, 3) == keys[3]
    engine.dispose()


def test_unknown_precincts_and_fields_are_not_found(site: SiteData) -> None:
    engine = open_engine(site.settings)
    with pytest.raises(NotFoundError, match="no precinct 'NOWHERE-1'"):
        field_evidence(engine, IOWA, "NOWHERE-1", MISMATCH_FIELD)
    with pytest.raises(NotFoundError, match=r"no field 'final\.Nobody'"):
        field_evidence(engine, IOWA, ADAMS[0], "final.Nobody")
    with pytest.raises(NotFoundError, match="fields are numbered 0 to"):
        key_at(IOWA, 10_000)
    engine.dispose()


def test_a_certified_county_shows_the_signed_number_and_photo(
    site: SiteData, tmp_path_factory: pytest.TempPathFactory
) -> None:
    engine = open_engine(site.settings)
    target = precincts_of("Audubon")[0]
    tally = CERTIFIED[target].tally
    leader = max(tally.first, key=lambda c: tally.first[c])
    key = f"first.{leader}"
    signed_photo = field_evidence(engine, IOWA, target, key).photo_sha256
    signer = get_account(engine, "pat")
    assert signer is not None
    certify_scope(engine, IOWA, "Audubon", signer, "chair", tmp_path_factory.mktemp("c"), utcnow())

    intake = make_intake(site.settings)
    stored = intake_photo(intake, jpeg(seed=4343), "late.jpg", Custody("chair", "t", target))
    assert stored.photo_id is not None
    forged = tally.model_copy(update={"first": tally.first | {leader: tally.first[leader] + 15}})
    record_reading(engine, stored.photo_id, IOWA.id, reading_of(forged), None, utcnow())
    reconcile_election(engine, IOWA, utcnow())

    shown = field_evidence(engine, IOWA, target, key)
    assert shown.certified and shown.number == tally.first[leader] and shown.settled
    assert shown.photo_sha256 == signed_photo and not shown.photo_late
    assert shown.machine_value == tally.first[leader]  # the signed photo's reading
    assert any(i.kind == "late_evidence" for i in shown.items)
    intake.engine.dispose()
    engine.dispose()
