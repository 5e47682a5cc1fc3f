"""Attacks on the review path, one test each, through the API, the pages and the CLI, on
both databases. The rule they hold: a number reaches the results only when the paper
clearly says it, or two people agree on it (canvass.policy, enforced in the store)."""

from __future__ import annotations

import subprocess
import threading
from datetime import timedelta
from typing import Any

import pytest

from canvass.errors import ConflictError
from canvass.model import FieldReading
from canvass.settings import Settings
from canvass.store.accounts import add_account
from canvass.store.db import open_engine
from canvass.store.decide import decided_values, decisions_for
from canvass.store.intake import ReportVersion, store_reports
from canvass.store.readings import record_reading
from canvass.store.review import claim, queue, queue_item_by_id
from canvass.store.types import utcnow
from canvass.stories.reconcile import reconcile_election
from canvass.stories.review import decide_item
from ingest.photos import Custody, intake_photo
from tests.conftest import CANVASS, canvass_env
from tests.support.client import TestClient, bearer, client_for, csrf_of, sign_in
from tests.support.images import jpeg
from tests.support.intake import make_intake
from tests.support.iowa import CERTIFIED, IOWA
from tests.support.readings import reading_of, report_of, shaky
from tests.support.site import MISMATCH_FIELD, SiteData, precincts_of, prepare_site


@pytest.fixture
def site(database_settings: Settings) -> SiteData:
    return prepare_site(database_settings, real_photo=False)


def item_of(settings: Settings, kind: str, county: str = "Adams") -> int:
    [item] = [i for i in queue(open_engine(settings), IOWA.id, county, kind)]
    return item.id


def held_by(settings: Settings, item_id: int) -> str | None:
    return queue_item_by_id(open_engine(settings), item_id).holder(utcnow())


def test_a_lone_confirm_on_a_blind_item_is_refused(site: SiteData) -> None:
    settings = site.settings
    blind = item_of(settings, "unreadable")
    with client_for(settings) as client:
        answer = client.post(
            f"/api/items/{blind}/decision",
            json={"action": "confirm_reported", "reason": "looks right"},
            headers=bearer(settings, "ann"),
        )
        assert answer.status_code == 422
        assert "blind" in answer.json()["error"] and "paper_says" in answer.json()["error"]
        assert client.get(f"/api/items/{blind}", headers=bearer(settings, "bob")).json()[
            "actions"
        ] == ["paper_says", "request_photo", "escalate"]
    assert queue_item_by_id(open_engine(settings), blind).status == "open"
    assert held_by(settings, blind) is None  # a refusal holds nothing
    assert decisions_for(open_engine(settings), blind) == []
    cli = subprocess.run(
        [CANVASS, "resolve", str(blind), "--reviewer", "ann", "--decision", "confirm_reported",
         "--reason", "looks right"],
        env=canvass_env(settings), capture_output=True, text=True,
    )  # fmt: skip
    assert cli.returncode == 3 and "blind" in cli.stderr
    assert held_by(settings, blind) is None


def test_the_report_is_right_stores_the_reports_value(site: SiteData) -> None:
    """The page always had the paper's number in "The paper shows"; confirming the report
    must store the report's number, whatever that box holds."""
    settings = site.settings
    mismatch = item_of(settings, "mismatch")
    reported = queue_item_by_id(open_engine(settings), mismatch).details["reported"]["app"]
    with client_for(settings) as client:
        sign_in(client, "ann")
        page = client.get(f"/review/items/{mismatch}").text
        assert 'value="confirm_reported"' in page
        client.post(
            f"/review/items/{mismatch}/decide",
            data={"csrf_token": csrf_of(page), "action": "confirm_reported",
                  "value": str(reported - 10), "reason": "the report is right"},
            follow_redirects=False,
        )  # fmt: skip
    [decision] = decisions_for(open_engine(settings), mismatch)
    assert (decision.action, decision.value, decision.final) == ("confirm_reported", reported, True)
    precinct = queue_item_by_id(open_engine(settings), mismatch).precinct_id
    assert decided_values(open_engine(settings), IOWA.id)[precinct][MISMATCH_FIELD] == reported


def test_a_confirm_with_a_value_no_report_gave_is_refused(site: SiteData) -> None:
    settings = site.settings
    mismatch = item_of(settings, "mismatch")
    with client_for(settings) as client:
        answer = client.post(
            f"/api/items/{mismatch}/decision",
            json={"action": "confirm_reported", "value": 999, "reason": "trust me"},
            headers=bearer(settings, "ann"),
        )
    assert answer.status_code == 422 and "no report gave 999" in answer.json()["error"]
    assert held_by(settings, mismatch) is None
    assert decisions_for(open_engine(settings), mismatch) == []


def test_a_number_nobody_gave_needs_a_second_reviewer_and_meets_the_sheets_bounds(
    site: SiteData,
) -> None:
    """One reviewer keys 999 (neither the paper nor a report says it): nothing counts. A
    second keys it too: it counts, and the sheet's bounds raise a math finding at once."""
    settings = site.settings
    mismatch = item_of(settings, "mismatch")
    precinct = queue_item_by_id(open_engine(settings), mismatch).precinct_id
    entry = {"action": "paper_says", "value": 999, "reason": "I say so"}
    with client_for(settings) as client:
        first = client.post(
            f"/api/items/{mismatch}/decision", json=entry, headers=bearer(settings, "ann")
        )
        assert first.json()["status"] == "open" and "second reviewer" in first.json()["message"]
        assert MISMATCH_FIELD not in decided_values(open_engine(settings), IOWA.id).get(
            precinct, {}
        )
        again = client.post(
            f"/api/items/{mismatch}/decision", json=entry, headers=bearer(settings, "ann")
        )
        assert again.status_code == 409  # the same person cannot be the second
        second = client.post(
            f"/api/items/{mismatch}/decision", json=entry, headers=bearer(settings, "bob")
        )
        assert second.json()["status"] == "resolved"
    assert decided_values(open_engine(settings), IOWA.id)[precinct][MISMATCH_FIELD] == 999
    findings = [
        i for i in queue(open_engine(settings), IOWA.id, "Adams", "math_finding")
        if i.precinct_id == precinct
    ]  # fmt: skip
    assert any(
        "KEYED_VALUE_OUT_OF_BOUNDS" in str(i.details["message"]) and MISMATCH_FIELD in i.fields
        for i in findings
    )


@pytest.mark.parametrize("huge", [10**29, 2**63, 100_000])
def test_a_value_too_large_for_its_boxes_is_a_refusal_not_a_crash(
    site: SiteData, huge: int
) -> None:
    settings = site.settings
    mismatch = item_of(settings, "mismatch")
    with client_for(settings) as client:
        answer = client.post(
            f"/api/items/{mismatch}/decision",
            json={"action": "paper_says", "value": huge, "reason": "typo"},
            headers=bearer(settings, "ann"),
        )
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/json")
    assert "value" in answer.json()["error"]
    assert held_by(settings, mismatch) is None


def test_a_value_over_the_fields_boxes_is_refused_on_the_cli_and_the_page(
    site: SiteData,
) -> None:
    """final.* has four boxes: 10,000 cannot be written there."""
    settings = site.settings
    mismatch = item_of(settings, "mismatch")
    cli = subprocess.run(
        [CANVASS, "resolve", str(mismatch), "--reviewer", "ann", "--decision", "paper_says",
         "--value", str(10**29), "--reason", "typo"],
        env=canvass_env(settings), capture_output=True, text=True,
    )  # fmt: skip
    assert cli.returncode == 3 and "0 to 9999" in cli.stderr
    with client_for(settings) as client:
        sign_in(client, "ann")
        page = client.get(f"/review/items/{mismatch}").text
        sent = client.post(
            f"/review/items/{mismatch}/decide",
            data={"csrf_token": csrf_of(page), "action": "paper_says", "value": "10000",
                  "reason": "typo"},
        )  # fmt: skip
        assert sent.status_code == 200 and "0 to 9999" in sent.text
    assert held_by(settings, mismatch) is None


def test_a_lapsed_claim_shows_as_free_and_a_claim_can_be_released(site: SiteData) -> None:
    settings = site.settings
    engine = open_engine(settings)
    mismatch = item_of(settings, "mismatch")
    claim(engine, mismatch, "ann", utcnow() - timedelta(minutes=20))  # lapsed 5 minutes ago
    with client_for(settings) as client:
        listed = client.get("/api/queue?county=Adams", headers=bearer(settings, "bob")).json()
        assert [i["claimed_by"] for i in listed if i["id"] == mismatch] == [None]
        sign_in(client, "bob")
        assert "held by" not in client.get("/review?county=Adams").text
        assert "is deciding this item" not in client.get(f"/review/items/{mismatch}").text
        held = client.post(f"/api/items/{mismatch}/claim", headers=bearer(settings, "ann"))
        assert held.status_code == 200
        refused = client.post(f"/api/items/{mismatch}/release", headers=bearer(settings, "bob"))
        assert refused.status_code == 409
        freed = client.post(f"/api/items/{mismatch}/release", headers=bearer(settings, "ann"))
        assert freed.json()["status"] == "released"
    assert held_by(settings, mismatch) is None
    subprocess.run(
        [CANVASS, "resolve", str(mismatch), "--reviewer", "ann"],
        env=canvass_env(settings), check=True, capture_output=True,
    )  # fmt: skip
    assert held_by(settings, mismatch) == "ann"
    subprocess.run(
        [CANVASS, "release", str(mismatch), "--reviewer", "ann"],
        env=canvass_env(settings), check=True, capture_output=True,
    )  # fmt: skip
    assert held_by(settings, mismatch) is None


def test_the_machines_guess_for_a_blind_field_is_withheld_from_reviewers(
    site: SiteData,
) -> None:
    """An uncertain reading (the machine guessed 9) becomes a blind item: reviewers must
    not see the guess through the photo's API or page; the uploader keeps the read-back."""
    settings = site.settings
    intake = make_intake(settings)
    precinct, field, true_value = next(
        (p, f"final.{c}", v)
        for p in precincts_of("Adams")[3:]
        for c, v in CERTIFIED[p].tally.final.items()
        if v >= 3
    )
    tally = CERTIFIED[precinct].tally
    guess: FieldReading = shaky(9, 4, 0.6)
    stored = intake_photo(intake, jpeg(seed=4242), "x.jpg", Custody("chair", "t", precinct))
    assert stored.photo_id is not None and stored.sha256
    reading = reading_of(tally, **{field: guess})
    record_reading(intake.engine, stored.photo_id, IOWA.id, reading, None, utcnow())
    report = [ReportVersion(precinct, report_of(tally), None)]
    store_reports(intake.engine, IOWA.id, "app", "late.jsonl", "sha-late", report, utcnow())
    reconcile_election(intake.engine, IOWA, utcnow())
    blind = [
        i for i in queue(intake.engine, IOWA.id, "Adams", "unreadable")
        if i.precinct_id == precinct
    ]  # fmt: skip
    assert [i.fields for i in blind] == [[field]]
    with client_for(settings) as client:
        seen = client.get(f"/api/photos/{stored.sha256}", headers=bearer(settings, "bob"))
        shown = seen.json()["reading"]["fields"][field]
        assert shown["value"] is None and shown["withheld"] is True
        assert "9?" not in str(seen.json()["read_back"])
        own = client.get(f"/api/photos/{stored.sha256}", headers=bearer(settings, "chair"))
        assert own.json()["reading"]["fields"][field]["value"] == 9
        sign_in(client, "bob")
        page = client.get(f"/upload/{stored.sha256}").text
        assert f"{field.split('.')[1]} 9" not in page
    assert true_value != 9


def test_a_forged_retake_does_not_silently_replace_the_sheet(site: SiteData) -> None:
    """ADAMS-AD1's sheet says final.Sanders 7, the app reported 17. An uploader sends a
    'retake' that says 17: the photos disagree, so nothing clears and the number stays
    provisional until a reviewer says which photo the paper is."""
    settings = site.settings
    intake = make_intake(settings)
    engine = intake.engine
    mismatch = item_of(settings, "mismatch")
    precinct = queue_item_by_id(engine, mismatch).precinct_id
    tally = CERTIFIED[precinct].tally
    true_value = tally.final["Sanders"]
    forged = tally.model_copy(update={"final": tally.final | {"Sanders": true_value + 10}})
    stored = intake_photo(intake, jpeg(seed=777), "retake.jpg", Custody("chair", "t", precinct))
    assert stored.photo_id is not None
    record_reading(engine, stored.photo_id, IOWA.id, reading_of(forged), None, utcnow())
    reconcile_election(engine, IOWA, utcnow())
    items = [i for i in queue(engine, IOWA.id, "Adams") if i.precinct_id == precinct]
    assert [(i.kind, i.fields) for i in items] == [("photos_disagree", [MISMATCH_FIELD])]
    [disputed] = items
    assert sorted(disputed.details["photos"].values()) == [true_value, true_value + 10]
    with client_for(settings) as client:
        rows = client.get("/api/results?county=Adams", headers=bearer(settings, "ann")).json()
        [row] = [r for r in rows["precincts"] if r["precinct"] == precinct]
        assert MISMATCH_FIELD in row["provisional"]
        page = client.get(f"/api/items/{disputed.id}", headers=bearer(settings, "ann")).json()
        assert {p["value"] for p in page["photos"]} == {true_value, true_value + 10}
        settled = client.post(
            f"/api/items/{disputed.id}/decision",
            json={"action": "paper_says", "value": true_value, "reason": "the first photo"},
            headers=bearer(settings, "ann"),
        )
        assert settled.json()["status"] == "resolved"  # a photo shows it: one reviewer suffices
        rows = client.get("/api/results?county=Adams", headers=bearer(settings, "ann")).json()
        [row] = [r for r in rows["precincts"] if r["precinct"] == precinct]
        assert row["final"]["Sanders"] == true_value and MISMATCH_FIELD not in row["provisional"]


def blind_item(settings: Settings) -> int:
    return item_of(settings, "unreadable")


def key(client: TestClient, settings: Settings, item: int, who: str, value: int) -> dict[str, Any]:
    entry = {"action": "paper_says", "value": value, "reason": "from the crop"}
    answer: dict[str, Any] = client.post(
        f"/api/items/{item}/decision", json=entry, headers=bearer(settings, who)
    ).json()
    return answer


def test_two_people_agreeing_on_a_blind_number_cannot_be_overturned_by_one(
    site: SiteData,
) -> None:
    """Two reviewers key the same number blind, unlike the hidden report: it counts, and no
    new item appears for one reviewer to 'confirm' the report over it."""
    settings = site.settings
    blind = blind_item(settings)
    keyed = site.blind_value + 1
    with client_for(settings) as client:
        key(client, settings, blind, "ann", keyed)
        assert key(client, settings, blind, "bob", keyed)["status"] == "resolved"
    engine = open_engine(settings)
    on_field = [
        i for i in queue(engine, IOWA.id, "Adams")
        if i.precinct_id == site.blind_precinct and site.blind_field in i.fields
    ]  # fmt: skip
    assert on_field == []
    decided = decided_values(engine, IOWA.id)[site.blind_precinct][site.blind_field]
    assert decided == keyed


def test_a_third_entry_counts_only_when_it_matches_one_already_made(site: SiteData) -> None:
    settings = site.settings
    engine = open_engine(settings)
    add_account(engine, "dan", "correct horse battery", "reviewer", utcnow())
    blind = blind_item(settings)
    v = site.blind_value
    with client_for(settings) as client:
        assert key(client, settings, blind, "ann", v)["status"] == "open"
        assert key(client, settings, blind, "bob", v + 1)["status"] == "open"
        third = key(client, settings, blind, "admin", v + 7)  # matches neither: waits
        assert third["status"] == "open" and "matches one" in third["message"]
        assert key(client, settings, blind, "dan", v + 1)["status"] == "resolved"
    assert decided_values(engine, IOWA.id)[site.blind_precinct][site.blind_field] == v + 1


def test_who_keyed_a_number_cannot_wave_its_bounds_finding_through(site: SiteData) -> None:
    settings = site.settings
    mismatch = item_of(settings, "mismatch")
    with client_for(settings) as client:
        key(client, settings, mismatch, "ann", 999)
        key(client, settings, mismatch, "bob", 999)
        engine = open_engine(settings)
        [finding] = [
            i for i in queue(engine, IOWA.id, "Adams", "math_finding")
            if "KEYED_VALUE_OUT_OF_BOUNDS" in str(i.details["message"])
        ]  # fmt: skip
        seen = {"action": "acknowledge", "reason": "fine"}
        for who in ("ann", "bob"):
            refused = client.post(
                f"/api/items/{finding.id}/decision", json=seen, headers=bearer(settings, who)
            )
            assert refused.status_code == 409 and "you keyed" in refused.json()["error"]
        assert held_by(settings, finding.id) is None
        done = client.post(
            f"/api/items/{finding.id}/decision", json=seen, headers=bearer(settings, "admin")
        )
        assert done.json()["status"] == "resolved"


def test_one_account_keying_twice_at_once_is_one_entry(site: SiteData) -> None:
    """Two tabs (or tokens) of one reviewer send the same blind entry at the same moment:
    the item is locked by the decision's first write, so only one entry is stored."""
    settings = site.settings
    engine = open_engine(settings)
    blind = blind_item(settings)
    outcomes: list[str] = []

    def enter() -> None:
        try:
            decide_item(engine, IOWA, blind, "ann", "paper_says", "crop", utcnow(), 5)
            outcomes.append("stored")
        except ConflictError as refused:
            outcomes.append(refused.message)

    threads = [threading.Thread(target=enter) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    entries = [d for d in decisions_for(engine, blind) if d.reviewer == "ann"]
    assert len(entries) == 1 and outcomes.count("stored") == 1


def test_a_typed_name_is_not_a_reviewer(site: SiteData) -> None:
    settings = site.settings
    mismatch = item_of(settings, "mismatch")
    for name in ("nobody1", "chair"):  # no account; an uploader's
        cli = subprocess.run(
            [CANVASS, "resolve", str(mismatch), "--reviewer", name, "--decision", "paper_says",
             "--value", "77", "--reason", "typed"],
            env=canvass_env(settings), capture_output=True, text=True,
        )  # fmt: skip
        assert cli.returncode == 8 and "reviewer's account" in cli.stderr
    assert decisions_for(open_engine(settings), mismatch) == []


def test_an_older_item_of_a_field_waiting_for_blind_entry_is_blind_too(site: SiteData) -> None:
    """The field's mismatch was superseded when a retake made it unreadable: opening the
    old item must not show the report either."""
    settings = site.settings
    engine = open_engine(settings)
    mismatch = item_of(settings, "mismatch")
    precinct = queue_item_by_id(engine, mismatch).precinct_id
    intake = make_intake(settings)
    unreadable = FieldReading(value=None, confidence=0.3, status="unreadable")
    reading = reading_of(CERTIFIED[precinct].tally, **{MISMATCH_FIELD: unreadable})
    stored = intake_photo(intake, jpeg(seed=31), "retake.jpg", Custody("chair", "t", precinct))
    assert stored.photo_id is not None
    record_reading(engine, stored.photo_id, IOWA.id, reading, None, utcnow())
    reconcile_election(engine, IOWA, utcnow())
    assert queue_item_by_id(engine, mismatch).status == "superseded"
    with client_for(settings) as client:
        old = client.get(f"/api/items/{mismatch}", headers=bearer(settings, "bob")).json()
    assert old["blind"] is True and old["reported"] == {}
    assert "reported" not in str(old["details"]) and "app" not in str(old["message"])


@pytest.mark.parametrize("typed", ["²", "٣", "①", "1e3", "-1"])
def test_a_number_typed_in_another_script_is_refused_not_a_crash(
    site: SiteData, typed: str
) -> None:
    settings = site.settings
    mismatch = item_of(settings, "mismatch")
    with client_for(settings) as client:
        sign_in(client, "ann")
        page = client.get(f"/review/items/{mismatch}").text
        for action, value in (("paper_says", typed), (f"confirm_reported={typed}", "")):
            sent = client.post(
                f"/review/items/{mismatch}/decide",
                data={"csrf_token": csrf_of(page), "action": action, "value": value,
                      "reason": "typed"},
            )  # fmt: skip
            assert sent.status_code == 200 and "whole number" in sent.text
    assert decisions_for(open_engine(settings), mismatch) == []


def test_a_missing_paper_cannot_accept_reports_that_disagree(site: SiteData) -> None:
    """No photo of AUDUBON's last precinct yet (made so here), two sources that disagree:
    'accept the reports' has nothing to accept; a new report version is a new item."""
    settings = site.settings
    engine = open_engine(settings)
    precinct = "POLK-ANK-01"
    tally = CERTIFIED[precinct].tally
    app = report_of(tally)
    hotline = app | {"first.Biden": app.get("first.Biden", 0) + 40}
    store_reports(
        engine, IOWA.id, "app", "a.jsonl", "sha-a", [ReportVersion(precinct, app, None)], utcnow()
    )
    store_reports(
        engine,
        IOWA.id,
        "hotline",
        "h.jsonl",
        "sha-h",
        [ReportVersion(precinct, hotline, None)],
        utcnow(),
    )
    reconcile_election(engine, IOWA, utcnow())
    [missing] = [
        i for i in queue(engine, IOWA.id, "Polk", "missing_paper") if i.precinct_id == precinct
    ]
    with client_for(settings) as client:
        refused = client.post(
            f"/api/items/{missing.id}/decision",
            json={"action": "confirm_reported", "reason": "take the app's"},
            headers=bearer(settings, "ann"),
        )
    assert (
        refused.status_code == 422 and "sources disagree on first.Biden" in refused.json()["error"]
    )
    store_reports(
        engine,
        IOWA.id,
        "hotline",
        "h2.jsonl",
        "sha-h2",
        [ReportVersion(precinct, app, None)],
        utcnow(),
    )
    reconcile_election(engine, IOWA, utcnow())
    [again] = [
        i for i in queue(engine, IOWA.id, "Polk", "missing_paper") if i.precinct_id == precinct
    ]
    assert again.id != missing.id and again.details["disagree"] == []


def test_a_county_is_reconciled_before_it_is_signed(site: SiteData) -> None:
    """A report imported after the last reconciliation, with a number the paper does not
    show: the sign-off weighs it first, and refuses."""
    settings = site.settings
    engine = open_engine(settings)
    precinct = precincts_of("Audubon")[0]
    changed = report_of(CERTIFIED[precinct].tally)
    changed = changed | {"first.Biden": changed.get("first.Biden", 0) + 30}
    store_reports(
        engine,
        IOWA.id,
        "app",
        "late.jsonl",
        "sha-late-app",
        [ReportVersion(precinct, changed, None)],
        utcnow(),
    )
    with client_for(settings) as client:
        refused = client.post(
            "/api/certify/Audubon", json={"role": "chair"}, headers=bearer(settings, "pat")
        )
    assert refused.status_code == 422 and "cannot be certified" in refused.json()["error"]
    assert any(i.precinct_id == precinct for i in queue(engine, IOWA.id, "Audubon"))
