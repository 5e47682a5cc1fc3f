"""The logic-and-accuracy test deck without the real reader: the QR payload and the
printed marks, the script, the comparison, and that a test reading stays out of results,
the queue, reconciliation and certification, attacked through the API on SQLite and
PostgreSQL (a fake reader behind the reader's Protocol stands in for the real one here;
tests/test_testdeck_e2e.py runs the real one)."""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlmodel import Session, col, select

from canvass.elections.fileformat import load_election_file
from canvass.errors import InputError
from canvass.model import FieldReading, ReadOutcome, SheetReading
from canvass.settings import REPO_ROOT, Settings
from canvass.store.accounts import add_account
from canvass.store.db import open_engine
from canvass.store.intake import ReportVersion, store_reports
from canvass.store.readings import readings_in_force
from canvass.store.tables import PhotoRow, ReadingRow
from canvass.store.types import utcnow
from canvass.stories.reconcile import reconcile_election
from canvass.stories.testdeck import create_deck, deck_report
from canvass.testdeck.compare import check_field, check_sheet
from canvass.testdeck.script import coverage, plan_sheets, script_deck
from canvass.worksheet.layout import build_layout
from canvass.worksheet.qr import SheetIdentity, decode_qr, parse_payload
from canvass.worksheet.render import WorksheetRenderer
from ingest.blobs import open_blob_store
from ingest.queue import read_queued
from ocr.read import match_precinct
from tests.conftest import CANVASS, canvass_env
from tests.support.client import bearer, client_for, sign_in
from tests.support.images import jpeg
from tests.support.intake import make_intake
from tests.support.iowa import CERTIFIED, IOWA
from tests.support.readings import confident_field, report_of
from tests.support.site import ACCOUNTS, PASSWORD, prepare_site

LAYOUT = build_layout(IOWA)
ADAIR = [p for p in IOWA.precincts if p.county == "Adair"]
JPEG = {"Content-Type": "image/jpeg"}


def test_a_real_sheets_payload_is_unchanged_and_a_test_sheet_says_test() -> None:
    real = SheetIdentity("iowa-dem-2020", "ADAIR-01NW", "ws-iowa-dem-2020-v1")
    assert real.payload() == "canvass:1|iowa-dem-2020|ADAIR-01NW|ws-iowa-dem-2020-v1"
    assert parse_payload(real.payload()).test is None
    test = SheetIdentity("iowa-dem-2020", "ADAIR-01NW", "ws-iowa-dem-2020-v1", "3-12")
    assert test.payload() == real.payload() + "|test:3-12"
    assert parse_payload(test.payload()) == test
    for bad in (real.payload() + "|3-12", real.payload() + "|test:", real.payload() + "|test:a|b"):
        with pytest.raises(InputError):
            parse_payload(bad)
    with pytest.raises(InputError, match="letters, digits and hyphens"):
        SheetIdentity("e", "P", "f", "no|pipes").payload()


def test_a_test_sheet_says_test_in_its_qr_its_band_and_its_printed_id() -> None:
    renderer = WorksheetRenderer(LAYOUT, IOWA)
    precinct = IOWA.precinct_by_id["ADAIR-01NW"]
    real = np.asarray(renderer.render(precinct))
    test = np.asarray(renderer.render(precinct, test="7-1"))
    identity = decode_qr(test)
    assert identity is not None and identity.test == "7-1" and identity.precinct == precinct.id
    boxes = [b for f in LAYOUT.fields for b in f.boxes]
    for b in boxes:  # the boxes are the real form's, untouched
        assert np.array_equal(
            real[b.y : b.y + b.h, b.x : b.x + b.w], test[b.y : b.y + b.h, b.x : b.x + b.w]
        )
    band = test[max(b.y + b.h for b in boxes) + 100 :, :]
    assert (band < 128).mean() > 2 * (real[max(b.y + b.h for b in boxes) + 100 :, :] < 128).mean()
    # Were the QR code unreadable, the printed id names no precinct: the photo is refused,
    # never filed as the real precinct's sheet.
    known = frozenset(p.id for p in IOWA.precincts)
    assert match_precinct("TEST ADAIR-01NW", known) is None
    assert match_precinct("ADAIR-01NW", known) == "ADAIR-01NW"


def test_the_script_writes_every_digit_in_every_box_blanks_and_the_largest_numbers() -> None:
    deck = script_deck(LAYOUT, plan_sheets(ADAIR, 40, ("Ann", "Bo")), seed=5)
    assert coverage(LAYOUT, deck) == {}
    values = [v for s in deck for v in s.values.values()]
    assert None in values and 9999 in values and 99 in values and 999 in values
    assert [s.writer for s in deck[:3]] == ["Ann", "Bo", "Ann"]
    assert [s.precinct.id for s in deck[:6]] == [p.id for p in ADAIR] + [ADAIR[0].id]
    for s in deck:  # every number fits its boxes
        for f in LAYOUT.sheet_fields(s.precinct.satellite):
            assert s.values[f.key] is None or len(str(s.values[f.key])) <= len(f.boxes)
    again = script_deck(LAYOUT, plan_sheets(ADAIR, 40, ("Ann", "Bo")), seed=5)
    assert again == deck
    assert script_deck(LAYOUT, plan_sheets(ADAIR, 40, ()), seed=6)[0].values != deck[0].values
    small = script_deck(LAYOUT, plan_sheets(ADAIR, None, ()), seed=5)
    assert len(small) == len(ADAIR) and "3 boxes, box 3 from the right" in coverage(LAYOUT, small)


def test_each_field_is_right_misread_or_left_to_a_person() -> None:
    right = check_field("attendees", 2647, confident_field(2647, 4))
    assert (right.outcome, right.verified) == ("right", True)
    blank = check_field("first.Biden", None, confident_field(0, 4))
    assert (blank.outcome, blank.verified) == ("right", True)
    wrong = check_field("first.Biden", 2647, confident_field(2641, 4))
    assert (wrong.outcome, wrong.verified, wrong.read) == ("misread", False, 2641)
    unsure = confident_field(2647, 4).model_copy(update={"status": "uncertain"})
    assert check_field("attendees", 2647, unsure).outcome == "unsure"
    assert check_field("attendees", 5, None).outcome == "unsure"


def reader_for(
    script: dict[str, int | None], code: str, precinct: str, misread: str
) -> Callable[[bytes], ReadOutcome]:
    """A fake reader (the reader's Protocol) that reads the test sheet as scripted, but
    one field 1 too high, and keeps a crop of each field."""

    def read(data: bytes) -> ReadOutcome:
        fields: dict[str, FieldReading] = {}
        for f in LAYOUT.sheet_fields(False):
            value = script[f.key] or 0
            fields[f.key] = confident_field(value + (f.key == misread), len(f.boxes))
        reading = SheetReading(
            status="read", precinct=precinct, form=LAYOUT.form, fields=fields, test_sheet=code
        )
        crop = io.BytesIO()
        Image.new("L", (192, 48), 200).save(crop, format="PNG")
        return ReadOutcome(reading, {f"{k}.png": crop.getvalue() for k in fields})

    return read


@pytest.fixture
def deck_site(database_settings: Settings, tmp_path: Path) -> Settings:
    engine = make_intake(database_settings).engine
    for username, role in ACCOUNTS.items():
        add_account(engine, username, PASSWORD, role, utcnow())
    created = create_deck(engine, IOWA, "adair", tmp_path / "deck.pdf", "admin", utcnow(), sheets=2)
    assert created.county == "Adair" and created.pages == 4
    assert (tmp_path / "deck.pdf").read_bytes().startswith(b"%PDF")
    tally = CERTIFIED["ADAIR-01NW"].tally
    report = [ReportVersion("ADAIR-01NW", report_of(tally), None)]
    store_reports(engine, IOWA.id, "app", "app.csv", "f" * 64, report, utcnow())
    engine.dispose()
    return database_settings


def test_a_test_photo_never_counts_as_paper_attacked_through_the_api(deck_site: Settings) -> None:
    engine = open_engine(deck_site)
    sheet = deck_report(engine, IOWA).counties[0].sheets[0]
    assert (sheet.code, sheet.precinct) == (f"{sheet.deck_id}-1", "ADAIR-01NW")
    with client_for(deck_site) as client:
        sent = client.post(
            "/api/photos?precinct=ADAIR-01NW",
            content=jpeg(seed=3),
            headers=bearer(deck_site, "chair") | JPEG,
        )
        assert sent.status_code == 202, sent.text
        sha = sent.json()["sha256"]
        reader = reader_for(sheet.values, sheet.code, sheet.precinct, "first.Biden")
        summary = read_queued(
            engine,
            IOWA.id,
            open_blob_store(deck_site),
            open_blob_store(deck_site, "crops"),
            reader,
            workers=1,
        )
        assert summary.read == 1
        with Session(engine) as session:
            row = session.execute(select(ReadingRow)).scalar_one()
            photo = session.execute(select(PhotoRow)).scalar_one()
        assert (row.status, row.precinct_id, row.test_sheet, photo.status) == (
            "test",
            None,
            sheet.code,
            "test",
        )
        assert readings_in_force(engine, IOWA.id) == {}

        admin = bearer(deck_site, "admin")
        assert client.post("/api/reconcile", headers=admin).status_code == 200
        reconcile_election(engine, IOWA, utcnow())
        state = client.get(f"/api/photos/{sha}", headers=admin).json()
        assert state["status"] == "test" and state["reading"]["test_sheet"] == sheet.code
        items = client.get("/api/queue?county=Adair", headers=bearer(deck_site, "ann")).json()
        assert [(i["precinct"], i["kind"]) for i in items] == [("ADAIR-01NW", "missing_paper")]
        results = client.get("/api/results?county=Adair", headers=admin).json()
        assert results["precincts"] == []
        status = client.get("/api/status", headers=admin).json()
        adair = next(c for c in status["counties"] if c["county"] == "Adair")
        assert (adair["photos"], adair["read"]) == (0, 0)
        signed = client.post("/api/certify/Adair", json={"role": "county chair"}, headers=admin)
        assert signed.status_code == 422 and "ADAIR-01NW" in signed.text

        found = client.get("/api/testdeck?county=Adair", headers=admin)
        assert found.status_code == 200, found.text
        county = found.json()["counties"][0]
        assert (county["sheets_printed"], county["sheets_read"], county["photos_read"]) == (2, 1, 1)
        fields = len(sheet.values)
        assert (county["fields"], county["read"], county["right"], county["misread"]) == (
            fields,
            fields,
            fields - 1,
            1,
        )
        assert county["queue"] == {"mismatch": 1}
        misread = county["sheets"][0]["misreads"][0]
        assert (misread["field"], misread["read"]) == (
            "first.Biden",
            (sheet.values["first.Biden"] or 0) + 1,
        )
        for who in ("chair", "ann", "pat"):
            assert client.get("/api/testdeck", headers=bearer(deck_site, who)).status_code == 403

        index = list(sheet.values).index("first.Biden")
        crop = f"/testdeck/crop/{row.photo_id}/{index}.png"
        assert client.get(crop, headers=admin).content.startswith(b"\x89PNG")
        assert client.get(crop, headers=bearer(deck_site, "ann")).status_code == 403
        assert (
            client.get(f"/testdeck/crop/{row.photo_id}/999.png", headers=admin).status_code == 404
        )


def test_the_page_is_for_administrators_and_its_upload_counts_a_refusal(
    deck_site: Settings,
) -> None:
    engine = open_engine(deck_site)
    with client_for(deck_site) as client:
        token = sign_in(client, "ann")
        assert client.get("/testdeck").status_code == 403
        made = client.post("/testdeck/decks", data={"csrf_token": token, "county": "Adams"})
        assert made.status_code == 403
        assert client.get("/testdeck/decks/1.pdf").status_code == 403
    with client_for(deck_site) as client:
        token = sign_in(client, "admin")
        page = client.get("/testdeck")
        assert page.status_code == 200 and "<b>0</b><span>of 2 test sheets read" in page.text
        made = client.post(
            "/testdeck/decks",
            data={"csrf_token": token, "county": "adams", "sheets": "3", "seed": "4"},
            follow_redirects=False,
        )
        assert made.status_code == 303 and made.headers["location"] == "/testdeck?county=Adams"
        listed = client.get("/testdeck?county=Adams")
        assert "Test deck 2 of Adams: 3 sheets." in listed.text
        assert "<b>0</b><span>of 3 test sheets read" in listed.text
        pdf = client.get("/testdeck/decks/2.pdf")
        assert pdf.content.startswith(b"%PDF") and pdf.content.count(b"/Type /Page ") == 6
        assert "testdeck-2.pdf" in pdf.headers["content-disposition"]
        assert client.get("/testdeck/decks/99.pdf").status_code == 404
        bad = client.post(
            "/testdeck/decks", data={"csrf_token": token, "county": "Adams", "sheets": "x"}
        )
        assert bad.status_code == 422 and "whole number" in bad.text
        sent = client.post(
            "/testdeck/upload",
            data={"csrf_token": token, "precinct": "adair-02ne"},
            files={"photo": ("t.jpg", jpeg(seed=9), "image/jpeg")},
            follow_redirects=False,
        )
        assert sent.status_code == 303, sent.text

        def refuse(data: bytes) -> ReadOutcome:
            reason = "the photo is too blurred to read: hold the phone still and retake it"
            return ReadOutcome(SheetReading(status="rejected", reason=reason), {})

        read_queued(
            engine,
            IOWA.id,
            open_blob_store(deck_site),
            open_blob_store(deck_site, "crops"),
            refuse,
            workers=1,
        )
        page = client.get("/testdeck?county=Adair")
        assert "too blurred" in page.text and "Refused test photos" in page.text
    county = deck_report(engine, IOWA, "Adair").as_json({})["counties"][0]
    assert (
        county["photos_refused"] == 1 and county["refusals"][0]["declared_precinct"] == "ADAIR-02NE"
    )
    with Session(engine) as session:
        uploads = session.execute(select(col(PhotoRow.status))).scalars().all()
    assert uploads == ["rejected"]
    assert json.dumps(county)  # the report is plain JSON


def test_a_test_photo_after_a_sign_off_is_no_late_evidence(
    database_settings: Settings, tmp_path: Path
) -> None:
    """A certified county's test deck (counties test again after election night too): a
    test photo of its precinct changes nothing signed and raises no late evidence."""
    prepare_site(database_settings, real_photo=False)
    engine = open_engine(database_settings)
    with client_for(database_settings) as client:
        admin = bearer(database_settings, "admin")
        signed = client.post("/api/certify/Audubon", json={"role": "county chair"}, headers=admin)
        assert signed.status_code == 200, signed.text
        before = client.get("/api/results?county=Audubon", headers=admin).json()
        made = create_deck(engine, IOWA, "Audubon", tmp_path / "d.pdf", "admin", utcnow(), sheets=1)
        sheet = made.sheets[0]
        sent = client.post("/api/photos", content=jpeg(seed=77), headers=admin | JPEG)
        assert sent.status_code == 202
        reader = reader_for(sheet.values, sheet.code, sheet.precinct, "attendees")
        crops = open_blob_store(database_settings, "crops")
        read_queued(engine, IOWA.id, open_blob_store(database_settings), crops, reader, workers=1)
        assert client.post("/api/reconcile", headers=admin).status_code == 200
        items = client.get("/api/queue?county=Audubon", headers=bearer(database_settings, "ann"))
        assert items.json() == []
        blockers = client.get("/api/certify/Audubon", headers=admin).json()
        assert not any(blockers["would_change"].values())  # no change, no precinct in or out
        assert client.get("/api/results?county=Audubon", headers=admin).json() == before
    county = deck_report(engine, IOWA, "Audubon").as_json({})["counties"][0]
    assert (county["photos_read"], county["misread"]) == (1, 1)


def test_a_general_elections_deck_writes_zeros_and_a_perfect_reading_queues_nothing() -> None:
    general = load_election_file(REPO_ROOT / "fixtures" / "elections" / "iowa2020-general.json")
    layout = build_layout(general)
    precincts = [p for p in general.precincts if p.county == "Adair"]
    deck = script_deck(layout, plan_sheets(precincts, None, ()), seed=1)
    assert coverage(layout, deck) == {}  # 30 four-box fields a sheet: five sheets do
    values = [v for s in deck for v in s.values.values()]
    assert None not in values and 0 in values  # the results sheet has zeros written
    first = deck[0]
    fields = {
        f.key: confident_field(first.values[f.key] or 0, len(f.boxes))
        for f in layout.sheet_fields(False)
    }
    reading = SheetReading(
        status="read", precinct=first.precinct.id, form=layout.form, fields=fields
    )
    check = check_sheet(general, first.precinct.id, first.values, reading)
    assert (check.count("right"), check.count("misread"), check.queue) == (len(fields), 0, {})
    page = WorksheetRenderer(layout, general).render(first.precinct, test="2-1")
    identity = decode_qr(np.asarray(page))
    assert identity is not None and identity.test == "2-1"


def test_a_stored_deck_prints_again_byte_for_byte(deck_site: Settings, tmp_path: Path) -> None:
    again = tmp_path / "again.pdf"
    env = canvass_env(deck_site)
    done = subprocess.run(
        [CANVASS, "testdeck", "--deck", "1", "--out", str(again), "--json"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["pages"] == 4
    assert again.read_bytes() == (tmp_path / "deck.pdf").read_bytes()
    missing = subprocess.run(
        [CANVASS, "testdeck", "--deck", "9", "--out", str(again)],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert missing.returncode == 4 and "no test deck 9" in missing.stderr


def test_a_test_code_no_deck_printed_is_still_a_test_and_is_named(deck_site: Settings) -> None:
    """A test sheet from another database (or a forged code) is kept out all the same,
    and the report names its code."""
    engine = open_engine(deck_site)
    sheet = deck_report(engine, IOWA).counties[0].sheets[0]
    with client_for(deck_site) as client:
        admin = bearer(deck_site, "admin")
        sent = client.post("/api/photos", content=jpeg(seed=5), headers=admin | JPEG)
        assert sent.status_code == 202
        reader = reader_for(sheet.values, "999-1", sheet.precinct, "attendees")
        photos, crops = open_blob_store(deck_site), open_blob_store(deck_site, "crops")
        read_queued(engine, IOWA.id, photos, crops, reader, workers=1)
        found = client.get("/api/testdeck", headers=admin).json()
        assert found["unknown_test_sheets"] == ["999-1"]
        assert found["counties"][0]["photos_read"] == 0
        assert readings_in_force(engine, IOWA.id) == {}
        with Session(engine) as session:
            photo_id = session.execute(select(col(PhotoRow.id))).scalar_one()
        assert client.get(f"/testdeck/crop/{photo_id}/0.png", headers=admin).status_code == 404
