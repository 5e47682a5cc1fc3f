"""The upload API and pages: stored durably and acknowledged, retries answer the same record,
refusals say what is wrong with the right status, and the read-back in plain words."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlmodel import Session, col

from canvass.model import FieldReading, SheetReading
from canvass.settings import Settings
from canvass.store.accounts import add_account
from canvass.store.db import open_engine
from canvass.store.readings import record_reading
from canvass.store.review import queue
from canvass.store.tables import PhotoRow, UploadRow
from canvass.store.types import utcnow
from canvass.stories.reconcile import reconcile_election
from canvass.web.readback import read_back
from ingest.blobs import open_blob_store
from ingest.queue import read_queued
from ocr.read import default_reader
from tests.support.client import bearer, client_for, sign_in
from tests.support.images import jpeg
from tests.support.intake import make_intake
from tests.support.iowa import CERTIFIED, IOWA
from tests.support.readings import reading_of
from tests.support.site import ACCOUNTS, BLURRED_PHOTO, PASSWORD, UPLOAD_PHOTO, truth_of

JPEG = {"Content-Type": "image/jpeg"}


@pytest.fixture
def site(database_settings: Settings) -> Settings:
    engine = make_intake(database_settings).engine
    for username, role in ACCOUNTS.items():
        add_account(engine, username, PASSWORD, role, utcnow())
    engine.dispose()
    return database_settings


def counts(settings: Settings) -> tuple[int, int]:
    with Session(open_engine(settings)) as session:
        photos = session.execute(select(func.count()).select_from(PhotoRow)).scalar_one()
        uploads = session.execute(select(func.count()).select_from(UploadRow)).scalar_one()
        return int(photos), int(uploads)


def test_an_upload_is_stored_before_the_answer_and_a_retry_is_the_same_record(
    site: Settings,
) -> None:
    data = jpeg(seed=7)
    with client_for(site) as client:
        auth = bearer(site, "chair") | JPEG
        first = client.post("/api/photos?precinct=adams-ad1", content=data, headers=auth)
        assert first.status_code == 202, first.text
        body = first.json()
        assert body["status"] == "stored" and body["photo_url"] == f"/api/photos/{body['sha256']}"
        blob_keys = [b.key for b in open_blob_store(site, "photos").list()]
        assert any(body["sha256"] in key for key in blob_keys)  # durable before the answer
        retry = client.post("/api/photos?precinct=adams-ad1", content=data, headers=auth)
        assert retry.status_code == 202
        assert retry.json() == body | {"status": "duplicate"}
        assert counts(site) == (1, 2)  # one photo; both attempts in custody
        state = client.get(body["photo_url"], headers=bearer(site, "ann")).json()
        assert state == {
            "sha256": body["sha256"],
            "status": "queued",
            "precinct": "ADAMS-AD1",
            "reading": None,
            "read_back": None,
        }
    with Session(open_engine(site)) as session:
        uploads = session.execute(select(UploadRow).order_by(col(UploadRow.id))).scalars().all()
        assert [(u.uploader, u.client_source, u.outcome) for u in uploads] == [
            ("chair", "web", "stored"),
            ("chair", "web", "duplicate"),
        ]


def test_a_form_upload_from_the_page(site: Settings) -> None:
    with client_for(site) as client:
        token = sign_in(client, "chair")
        sent = client.post(
            "/upload",
            data={"csrf_token": token, "precinct": ""},
            files={"photo": ("sheet.jpg", jpeg(seed=8), "image/jpeg")},
            follow_redirects=False,
        )
        assert sent.status_code == 303 and sent.headers["location"].startswith("/upload/")
        page = client.get(sent.headers["location"])
        assert "Photo received" in page.text and 'http-equiv="refresh"' in page.text
        api = client.post(
            "/api/photos",
            files={"photo": ("again.jpg", jpeg(seed=8), "image/jpeg")},
            headers={"X-CSRF-Token": token},
        )
        assert api.status_code == 202 and api.json()["status"] == "duplicate"
        assert client.post("/upload", files={"photo": ("x.jpg", b"x")}).status_code == 403


def test_refusals_say_what_is_wrong_with_their_status(site: Settings) -> None:
    small = Settings(data_dir=site.data_dir, database_url=site.database_url, max_photo_bytes=50_000)
    with client_for(small) as client:
        auth = bearer(site, "chair")
        text = client.post("/api/photos", content=b"hello", headers=auth | JPEG)
        assert text.status_code == 415 and "not a photo" in text.json()["error"]
        kind = client.post("/api/photos", content=b"hello", headers=auth | {"Content-Type": "x/y"})
        assert kind.status_code == 415 and "Content-Type image/jpeg" in kind.json()["error"]
        big = client.post("/api/photos", content=jpeg(1200, 900), headers=auth | JPEG)
        assert big.status_code == 413 and "limit" in big.json()["error"]
        cut = client.post("/api/photos", content=jpeg(160, 120, seed=3)[:-600], headers=auth | JPEG)
        assert cut.status_code == 422 and "send" in cut.json()["error"]
        empty = client.post("/api/photos", content=b"", headers=auth | JPEG)
        assert empty.status_code == 422 and "empty" in empty.json()["error"]
        tiny = jpeg(160, 120)
        reviewer = client.post("/api/photos", content=tiny, headers=bearer(site, "ann") | JPEG)
        assert reviewer.status_code == 403
        assert client.get("/api/photos/abc", headers=auth).status_code == 422
        unknown = client.get("/api/photos/" + "0" * 64, headers=auth)
        assert unknown.status_code == 404 and "upload it again" in unknown.json()["error"]
    assert counts(site)[0] == 0


def test_the_read_back_after_the_reader(sqlite_settings: Settings) -> None:
    engine = make_intake(sqlite_settings).engine
    add_account(engine, "chair", PASSWORD, "uploader", utcnow())
    with client_for(sqlite_settings) as client:
        auth = bearer(sqlite_settings, "chair") | JPEG
        good = client.post("/api/photos", content=UPLOAD_PHOTO.read_bytes(), headers=auth).json()
        bad = client.post("/api/photos", content=BLURRED_PHOTO.read_bytes(), headers=auth).json()
        read_queued(
            engine,
            IOWA.id,
            sqlite_settings.photos_dir,
            sqlite_settings.data_dir / "crops",
            default_reader(IOWA),
            workers=1,
        )
        read = client.get(good["photo_url"], headers=auth).json()
        refused = client.get(bad["photo_url"], headers=auth).json()
    truth = truth_of(UPLOAD_PHOTO)
    assert read["status"] == "read" and read["precinct"] == truth["precinct"] == "CRAWFORD-DC-AB"
    assert read["read_back"]["title"] == "Precinct Crawford DC-AB (CRAWFORD-DC-AB)"
    assert read["read_back"]["question"] == "Is this what your sheet says?"
    assert read["read_back"]["lines"][0].startswith("Attendees at start: ")
    assert "attendees" in read["reading"]["fields"]
    assert refused["status"] == "rejected" and refused["reading"]["status"] == "rejected"
    assert "blurred" in refused["read_back"]["retake"]


def test_read_back_in_plain_words() -> None:
    sure = FieldReading(value=52, confidence=0.9999, status="ok")
    unsure = FieldReading(value=50, confidence=0.9, status="uncertain")
    reading = SheetReading(
        status="read",
        precinct="POLK-ANK-01",
        fields={
            "attendees": FieldReading(value=120, confidence=1.0, status="ok"),
            "first.Sanders": sure,
            "first.Buttigieg": unsure,
            "first.Biden": FieldReading(value=None, confidence=1.0, status="blank"),
            "final.Warren": FieldReading(value=None, confidence=0.3, status="unreadable"),
        },
    )
    back = read_back(reading, IOWA)
    assert back.title == "Precinct Polk ANK 01 (POLK-ANK-01)"
    assert back.lines == [
        "Attendees at start: 120",
        "First alignment: Sanders 52, Buttigieg 50?",
        "Final alignment: Warren ?",
        "County delegates: nobody (all blank)",
    ]
    assert back.needs_person == ["First alignment: Buttigieg (50?)", "Final alignment: Warren"]
    refused = read_back(SheetReading(status="rejected", reason="glare over the Biden row"), IOWA)
    assert refused.retake == "Glare over the Biden row." and refused.question is None


def test_a_typed_precinct_is_optional_and_the_sheets_code_is_used(site: Settings) -> None:
    """An unknown typed precinct does not refuse the photo; a typed precinct that is not the
    sheet's is said on the read-back (to the one who typed it); a known one that differs
    also raises a `precinct_conflict` item for a reviewer."""
    adams = [p.id for p in IOWA.precincts if p.county == "Adams"]
    engine = open_engine(site)
    with client_for(site) as client:
        auth = bearer(site, "chair") | JPEG
        unknown = client.post("/api/photos?precinct=nowhere-9", content=jpeg(seed=21), headers=auth)
        assert unknown.status_code == 202, unknown.text
        assert unknown.json()["precinct_note"] == (
            "NOWHERE-9 is not a precinct of this election: the photo is kept, and the "
            "sheet's code says which precinct it is"
        )
        known = client.post(f"/api/photos?precinct={adams[3]}", content=jpeg(seed=22), headers=auth)
        assert known.status_code == 202 and known.json()["precinct_note"] is None
        same = client.post(f"/api/photos?precinct={adams[2]}", content=jpeg(seed=23), headers=auth)
        sent = ((unknown, None, adams[1]), (known, adams[3], adams[4]), (same, adams[2], adams[2]))
        for answer, declared, sheet in sent:
            photo = answer.json()["sha256"]
            with Session(engine) as session:
                row = session.execute(select(PhotoRow).where(col(PhotoRow.sha256) == photo))
                stored = row.scalar_one()
            assert stored.declared_precinct == declared
            reading = reading_of(CERTIFIED[sheet].tally)
            record_reading(engine, stored.id or 0, IOWA.id, reading, None, utcnow())
        said = client.get(unknown.json()["photo_url"], headers=auth).json()["read_back"]
        assert said["precinct_note"] == (
            "You typed NOWHERE-9, which is not a precinct of this election. The sheet's code "
            "says Precinct Adams AD2 (ADAMS-AD2); the photo is filed under the sheet's precinct."
        )
        other = client.get(known.json()["photo_url"], headers=auth).json()
        assert other["precinct"] == adams[4]
        assert other["read_back"]["precinct_note"] == (
            "You typed Precinct Adams AD4 (ADAMS-AD4), but the sheet's code says Precinct "
            "Adams AD5 (ADAMS-AD5). The sheet's precinct is used; a reviewer checks which "
            "precinct this photo is of."
        )
        assert (
            client.get(same.json()["photo_url"], headers=auth).json()["read_back"]["precinct_note"]
            is None
        )
        to_reviewer = client.get(unknown.json()["photo_url"], headers=bearer(site, "ann")).json()
        assert to_reviewer["read_back"]["precinct_note"] is None  # what they typed is theirs
        sign_in(client, "chair")
        page = client.get(f"/upload/{known.json()['sha256']}")
        assert 'id="precinct-note"' in page.text and "You typed Precinct Adams AD4" in page.text
    reconcile_election(engine, IOWA, utcnow())
    conflicts = [i for i in queue(engine, IOWA.id) if i.kind == "precinct_conflict"]
    assert [i.precinct_id for i in conflicts] == [adams[4]]


def test_a_refusal_is_an_error_on_the_status_page(sqlite_settings: Settings) -> None:
    engine = make_intake(sqlite_settings).engine
    add_account(engine, "chair", PASSWORD, "uploader", utcnow())
    with client_for(sqlite_settings) as client:
        auth = bearer(sqlite_settings, "chair") | JPEG
        sent = client.post("/api/photos", content=jpeg(seed=31), headers=auth).json()
        photo = client.get(sent["photo_url"], headers=auth)
        with Session(engine) as session:
            row = session.execute(select(PhotoRow).where(col(PhotoRow.sha256) == sent["sha256"]))
            photo_id = row.scalar_one().id or 0
        refusal = SheetReading(
            status="rejected", reason="this is not a worksheet (no corner markers found)"
        )
        record_reading(engine, photo_id, IOWA.id, refusal, None, utcnow())
        sign_in(client, "chair")
        page = client.get(f"/upload/{sent['sha256']}").text
    assert photo.status_code == 200
    assert 'class="error-box" role="alert" id="refusal"' in page
    assert "Refused: this photo cannot be used" in page and "This is not a worksheet" in page
    assert "Send to the reviewers" not in page


def test_the_latest_typed_precinct_is_said_back(sqlite_settings: Settings) -> None:
    """The same photo sent again and again: the read-back says what was typed with the
    latest upload (an earlier text typed again, a known precinct after unknown ones,
    then nothing typed)."""
    engine = make_intake(sqlite_settings).engine
    add_account(engine, "chair", PASSWORD, "uploader", utcnow())
    data = jpeg(seed=41)
    said: list[str | None] = []
    with client_for(sqlite_settings) as client:
        auth = bearer(sqlite_settings, "chair") | JPEG
        for typed in ("FOO-1", "BAR-2", "FOO-1", "ADAMS-AD3", ""):
            sent = client.post(f"/api/photos?precinct={typed}", content=data, headers=auth)
            assert sent.status_code == 202, sent.text
            if typed == "FOO-1" and not said:
                with Session(engine) as session:
                    photo_id = session.execute(select(PhotoRow)).scalar_one().id or 0
                reading = reading_of(CERTIFIED["ADAMS-AD1"].tally)
                record_reading(engine, photo_id, IOWA.id, reading, None, utcnow())
            back = client.get(sent.json()["photo_url"], headers=auth).json()["read_back"]
            note = back["precinct_note"]
            said.append(None if note is None else note.split(",")[0])
    assert said == [
        "You typed FOO-1",
        "You typed BAR-2",
        "You typed FOO-1",
        "You typed Precinct Adams AD3 (ADAMS-AD3)",
        None,
    ]
