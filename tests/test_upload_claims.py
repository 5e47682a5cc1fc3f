""" "No, something differs" through the API and the page, on both databases: the uploader's
word is stored (who, when, which photo, fields, values), audited, and shown to reviewers on
the items of those fields, and changes no number by itself. Each attack is kept here:
another uploader's photo, a reviewer posting, a certified county, a field that does not
exist, huge, out-of-bounds and non-numeric values, replays, a flood of corrections, a
photo not read, a form without its CSRF token."""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import func, select
from sqlmodel import Session, col

from canvass.model import SheetReading
from canvass.settings import Settings
from canvass.store.accounts import add_account
from canvass.store.db import open_engine
from canvass.store.decide import decisions_for
from canvass.store.readings import record_reading
from canvass.store.review import queue
from canvass.store.tables import AuditRow, UploaderClaimRow
from canvass.store.types import utcnow
from canvass.store.views import paper_in_force, photo_state
from canvass.stories.uploader import MAX_CLAIMS
from tests.support.client import bearer, client_for, sign_in
from tests.support.images import jpeg
from tests.support.intake import make_intake
from tests.support.iowa import CERTIFIED, IOWA
from tests.support.site import MISMATCH_FIELD, PASSWORD, SiteData, precincts_of, prepare_site

ADAMS = precincts_of("Adams")
AUDUBON = precincts_of("Audubon")


def sha_of(seed: int) -> str:
    """The digest of the photo `prepare_site` uploaded as seed `seed` (900 + its place)."""
    return hashlib.sha256(jpeg(seed=seed)).hexdigest()


MISMATCH_PHOTO = sha_of(900)  # ADAMS[0], the app's report 10 over the sheet on final.Sanders


@pytest.fixture
def site(database_settings: Settings) -> SiteData:
    site = prepare_site(database_settings, real_photo=False)
    engine = make_intake(site.settings).engine
    add_account(engine, "dale", PASSWORD, "uploader", utcnow())  # another precinct's chair
    engine.dispose()
    return site


def claims(settings: Settings) -> int:
    with Session(open_engine(settings)) as session:
        return int(session.execute(select(func.count()).select_from(UploaderClaimRow)).scalar_one())


def audited(settings: Settings, action: str) -> list[AuditRow]:
    with Session(open_engine(settings)) as session:
        rows = session.execute(select(AuditRow).where(col(AuditRow.action) == action))
        return list(rows.scalars())


def item_of(settings: Settings, precinct: str, kind: str) -> int:
    engine = open_engine(settings)
    found = [i.id for i in queue(engine, IOWA.id) if i.precinct_id == precinct and i.kind == kind]
    assert found, f"no {kind} item for {precinct}"
    return found[0]


def differs(sha: str) -> str:
    return f"/api/photos/{sha}/differs"


def test_something_differs_reaches_the_reviewer_and_changes_nothing(site: SiteData) -> None:
    settings = site.settings
    item = item_of(settings, ADAMS[0], "mismatch")
    engine = open_engine(settings)
    before = paper_in_force(engine, IOWA.id, ADAMS[0])
    with client_for(settings) as client:
        chair = bearer(settings, "chair")
        body = {"fields": {MISMATCH_FIELD: 41, "attendees": 230}}
        sent = client.post(differs(MISMATCH_PHOTO), json=body, headers=chair)
        assert sent.status_code == 201, sent.text
        claim = sent.json()
        assert claim["uploader"] == "chair" and claim["precinct"] == ADAMS[0]
        assert claim["fields"] == {"attendees": 230, MISMATCH_FIELD: 41}
        assert claim["photo"] == MISMATCH_PHOTO and not claim["replayed"]
        again = client.post(differs(MISMATCH_PHOTO), json=body, headers=chair)  # a replay
        assert again.status_code == 200 and again.json() == claim | {"replayed": True}
        shown = client.get(f"/api/items/{item}", headers=bearer(settings, "ann")).json()
        assert shown["uploader_says"] == [
            {
                "uploader": "chair",
                "at": claim["at"],
                "photo_url": f"/photos/{MISMATCH_PHOTO}",
                "lines": ["Final alignment, Sanders: the sheet shows 41"],  # this item's field
            }
        ]
        sign_in(client, "ann")
        page = client.get(f"/review/items/{item}")
        assert "The uploader says the sheet differs" in page.text
        assert "Final alignment, Sanders: the sheet shows 41" in page.text
    assert claims(settings) == 1
    [entry] = audited(settings, "uploader.sheet_differs")
    assert entry.actor == "chair" and entry.subject == f"photo/{MISMATCH_PHOTO}"
    assert '"final.Sanders":41' in entry.details_json
    # Evidence, not a decision: the item is open, undecided, the paper as read.
    assert item in [i.id for i in queue(engine, IOWA.id)]
    assert decisions_for(engine, item) == []
    after = paper_in_force(engine, IOWA.id, ADAMS[0])
    assert before is not None and after is not None and after.reading == before.reading


def test_a_blind_item_shows_that_the_uploader_differs_but_not_their_number(
    site: SiteData,
) -> None:
    settings = site.settings
    place = ADAMS.index(site.blind_precinct)
    item = item_of(settings, site.blind_precinct, "unreadable")
    with client_for(settings) as client:
        body = {"fields": {site.blind_field: site.blind_value + 7}}
        sent = client.post(
            differs(sha_of(900 + place)), json=body, headers=bearer(settings, "chair")
        )
        assert sent.status_code == 201, sent.text
        shown = client.get(f"/api/items/{item}", headers=bearer(settings, "ann")).json()
    [said] = shown["uploader_says"]
    assert said["lines"] == [
        f"Final alignment, {site.blind_field.split('.')[1]}: another number than the machine read"
    ]
    # The timestamp and the photo's address are digits by nature; the number must be
    # nowhere else, not as a value of its own and not inside any other text.
    told = {k: v for k, v in said.items() if k not in ("at", "photo_url")}
    assert site.blind_value + 7 not in told.values()
    assert not re.search(rf"\b{site.blind_value + 7}\b", str(told))


def test_attacks_on_something_differs_are_refused(site: SiteData) -> None:
    settings = site.settings
    with client_for(settings) as client:
        chair = bearer(settings, "chair")
        url = differs(MISMATCH_PHOTO)

        def refused(
            body: object, headers: dict[str, str] = chair, to: str = url
        ) -> tuple[int, str]:
            answer = client.post(to, json=body, headers=headers)
            return answer.status_code, answer.json()["error"]

        other = refused({"fields": {"attendees": 1}}, bearer(settings, "dale"))
        assert other[0] == 403 and "only the person who sent this photo" in other[1]
        assert refused({"fields": {"attendees": 1}}, bearer(settings, "ann"))[0] == 403
        nowhere = refused({"fields": {"final.Nobody": 3}})
        assert nowhere[0] == 422 and "not a number on this precinct's sheet" in nowhere[1]
        assert refused({"fields": {"viability_threshold.x": 3}})[0] == 422
        huge = refused({"fields": {"attendees": 10**29}})
        assert huge[0] == 422
        boxes = refused({"fields": {MISMATCH_FIELD: 10_000}})
        assert boxes[0] == 422 and "(0 to 9999)" in boxes[1]
        assert refused({"fields": {"attendees": -1}})[0] == 422
        assert refused({"fields": {"attendees": "14"}})[0] == 422  # numbers, not text
        assert refused({"fields": {"attendees": 14.5}})[0] == 422
        assert refused({"fields": {"attendees": None}})[0] == 422
        assert refused({"fields": {}})[0] == 422
        assert refused({"fields": {"atten\x00dees": 1}})[0] == 422
        assert refused(["attendees", 1])[0] == 422
        missing = refused({"fields": {"attendees": 1}}, to=differs("0" * 64))
        assert missing[0] == 404
        assert client.post(
            url, content=b"{", headers=chair | {"Content-Type": "application/json"}
        ).status_code in (400, 422)
    assert claims(settings) == 0
    assert audited(settings, "uploader.sheet_differs") == []


def test_a_flood_of_corrections_is_capped_and_a_photo_must_be_read(site: SiteData) -> None:
    settings = site.settings
    with client_for(settings) as client:
        chair = bearer(settings, "chair")
        for n in range(MAX_CLAIMS):
            sent = client.post(
                differs(MISMATCH_PHOTO), json={"fields": {"attendees": n}}, headers=chair
            )
            assert sent.status_code == 201
        flood = client.post(
            differs(MISMATCH_PHOTO), json={"fields": {"attendees": 99}}, headers=chair
        )
        assert flood.status_code == 409 and "county chair" in flood.json()["error"]
        replay = client.post(
            differs(MISMATCH_PHOTO), json={"fields": {"attendees": 0}}, headers=chair
        )
        assert replay.status_code == 200  # a replay is no new correction
        queued = client.post(
            "/api/photos", content=jpeg(seed=5), headers=chair | {"Content-Type": "image/jpeg"}
        )
        sha = queued.json()["sha256"]
        waiting = client.post(differs(sha), json={"fields": {"attendees": 1}}, headers=chair)
        assert waiting.status_code == 409 and "not been read" in waiting.json()["error"]
        engine = open_engine(settings)
        rejected = SheetReading(status="rejected", reason="the photo is too blurred to read")
        record_reading(engine, photo_state(engine, sha).photo_id, IOWA.id, rejected, None, utcnow())
        refused = client.post(differs(sha), json={"fields": {"attendees": 1}}, headers=chair)
        assert refused.status_code == 409 and "retake" in refused.json()["error"]
    assert claims(settings) == MAX_CLAIMS


def test_a_certified_county_takes_no_correction(site: SiteData) -> None:
    settings = site.settings
    photo = sha_of(900 + len(ADAMS))  # AUDUBON[0]
    with client_for(settings) as client:
        chair = bearer(settings, "chair")
        choices = client.get(f"/api/photos/{photo}", headers=chair).json()["read_back"]["choices"]
        assert {
            "key": "attendees",
            "label": "Attendees at start",
            "read": str(CERTIFIED[AUDUBON[0]].tally.attendees),
        } in choices  # offered before the sign-off
        pat = bearer(settings, "pat")
        signed = client.post("/api/certify/Audubon", json={"role": "chair"}, headers=pat)
        assert signed.is_success, signed.text
        late = client.post(differs(photo), json={"fields": {"attendees": 3}}, headers=chair)
        assert late.status_code == 409
        assert "Audubon is certified" in late.json()["error"]
        assert "administrator" in late.json()["error"]
        # The read-back offers no "something differs" the server would refuse.
        back = client.get(f"/api/photos/{photo}", headers=chair).json()["read_back"]
        assert back["choices"] == [] and back["lines"]
        sign_in(client, "chair")
        page = client.get(f"/upload/{photo}").text
        assert "Send to the reviewers" not in page and "tell your county chair" in page
    assert claims(settings) == 0


def test_the_status_page_offers_it_without_javascript(site: SiteData) -> None:
    settings = site.settings
    with client_for(settings) as client:
        token = sign_in(client, "chair")
        page = client.get(f"/upload/{MISMATCH_PHOTO}")
        assert 'action="/upload/' in page.text and "Send to the reviewers" in page.text
        sent = client.post(
            f"/upload/{MISMATCH_PHOTO}/differs",
            data={"csrf_token": token, "field": MISMATCH_FIELD, "value": "41"},
            follow_redirects=False,
        )
        assert sent.status_code == 303
        shown = client.get(sent.headers["location"])
        assert "Sent to the reviewers: Final alignment, Sanders: 41." in shown.text
        forged = client.post(
            f"/upload/{MISMATCH_PHOTO}/differs", data={"field": MISMATCH_FIELD, "value": "5"}
        )
        assert forged.status_code == 403
        word = client.post(
            f"/upload/{MISMATCH_PHOTO}/differs",
            data={"csrf_token": token, "field": MISMATCH_FIELD, "value": "forty"},
        )
        assert word.status_code == 422 and "is not a number" in word.text
    with client_for(settings) as client:
        sign_in(client, "dale")
        assert "Send to the reviewers" not in client.get(f"/upload/{MISMATCH_PHOTO}").text
        dale = client.get(f"/api/photos/{MISMATCH_PHOTO}", headers=bearer(settings, "dale"))
        assert dale.json()["read_back"]["choices"] == []  # not their photo
    assert claims(settings) == 1
