"""The review queue on the web, on both databases: the queue and its filters, one item with
its sources, a decision from the form (then the next item), exclusive claims, and blind
double entry that shows no other entry."""

from __future__ import annotations

import pytest

from canvass.settings import Settings
from canvass.store.db import open_engine
from canvass.store.readings import readings_in_force
from canvass.store.review import queue
from canvass.store.views import paper_in_force
from tests.support.client import bearer, client_for, csrf_of, sign_in
from tests.support.iowa import IOWA
from tests.support.site import MISMATCH_FIELD, SiteData, prepare_site


@pytest.fixture
def site(database_settings: Settings) -> SiteData:
    return prepare_site(database_settings, real_photo=False)


def item_of(settings: Settings, kind: str) -> int:
    [item] = [i for i in queue(open_engine(settings), IOWA.id, "Adams", kind)]
    return item.id


def test_a_reviewer_decides_an_item_from_the_page(site: SiteData) -> None:
    settings = site.settings
    mismatch = item_of(settings, "mismatch")
    with client_for(settings) as client:
        token = sign_in(client, "ann")
        listing = client.get("/review?county=Adams")
        assert listing.status_code == 200
        assert f'href="/review/items/{mismatch}?county=Adams"' in listing.text
        assert "AUDUBON" not in listing.text  # its finding is acknowledged; filter is Adams
        taken = client.post(
            "/review/next",
            data={"csrf_token": token, "county": "Adams", "kind": "mismatch"},
            follow_redirects=False,
        )
        assert taken.headers["location"] == f"/review/items/{mismatch}?county=Adams&kind=mismatch"
        page = client.get(taken.headers["location"])
        assert "Final alignment, Sanders" in page.text
        assert "App reported</dt><dd>17</dd>" in page.text  # the sheet says 7
        assert 'id="machine-value">7' in page.text
        assert 'value="7"' in page.text  # the machine's value, ready to confirm
        wrong = client.post(
            f"/review/items/{mismatch}/decide",
            data={"csrf_token": csrf_of(page.text), "action": "paper_says", "value": "seven"},
            follow_redirects=False,
        )
        assert wrong.headers["location"].startswith(f"/review/items/{mismatch}")
        assert "whole number" in client.get(wrong.headers["location"]).text
        decided = client.post(
            f"/review/items/{mismatch}/decide",
            data={
                "csrf_token": token,
                "action": "paper_says",
                "value": "7",
                "reason": "the sheet shows 7",
                "county": "Adams",
                "kind": "mismatch",
            },
            follow_redirects=False,
        )
        assert decided.headers["location"] == "/review?county=Adams&kind=mismatch"
        after = client.get(decided.headers["location"]).text
        assert f"Item {mismatch} resolved: 7." in after
        api = client.get(f"/api/items/{mismatch}", headers=bearer(settings, "bob")).json()
        assert api["status"] == "resolved"
        assert api["decisions"][0] | {"at": ""} == {
            "reviewer": "ann",
            "action": "paper_says",
            "value": 7,
            "reason": "the sheet shows 7",
            "final": True,
            "at": "",
        }
        assert api["fields"] == [MISMATCH_FIELD] and api["reported"] == {"app": 17}


def test_blind_double_entry_shows_no_other_entry(site: SiteData) -> None:
    settings = site.settings
    blind = item_of(settings, "unreadable")
    with client_for(settings) as client:
        ann, bob = bearer(settings, "ann"), bearer(settings, "bob")
        seen = client.get(f"/api/items/{blind}", headers=ann).json()
        assert seen["blind"] is True and seen["fields"] == [site.blind_field]
        assert seen["reported"] == {} and seen["decisions"] == []
        assert seen["fields_read"][0]["value"] is None
        entry = {"action": "paper_says", "value": site.blind_value, "reason": "from the crop"}
        first = client.post(f"/api/items/{blind}/decision", json=entry, headers=ann)
        assert first.json()["status"] == "open" and "second blind entry" in first.json()["message"]
        twice = client.post(f"/api/items/{blind}/decision", json=entry, headers=ann)
        assert twice.status_code == 409 and "already keyed" in twice.json()["error"]
        for_bob = client.get(f"/api/items/{blind}", headers=bob).json()
        assert for_bob["entries"] == 1 and for_bob["decisions"] == []
        assert for_bob["you_entered"] is False
        token = sign_in(client, "ann")
        page = client.get(f"/review/items/{blind}").text
        assert (
            "You have keyed this value" in page
            and str(site.blind_value) not in page.split("Decision")[0]
        )
        skipped = client.post(
            "/review/next",
            data={"csrf_token": token, "county": "Adams", "kind": "unreadable"},
            follow_redirects=False,
        )
        assert skipped.headers["location"] == "/review?county=Adams&kind=unreadable"
        second = client.post(f"/api/items/{blind}/decision", json=entry, headers=bob)
        assert second.json()["status"] == "resolved"


def test_claims_are_exclusive(site: SiteData) -> None:
    settings = site.settings
    item = item_of(settings, "mismatch")
    with client_for(settings) as client:
        held = client.post(f"/api/items/{item}/claim", headers=bearer(settings, "ann"))
        assert held.status_code == 200 and held.json()["claimed_until"]
        refused = client.post(f"/api/items/{item}/claim", headers=bearer(settings, "bob"))
        assert refused.status_code == 409 and "held by ann" in refused.json()["error"]
        sign_in(client, "bob")
        page = client.get(f"/review/items/{item}").text
        assert "ann is deciding this item" in page and 'id="decide-form"' not in page
        no_reason = client.post(
            f"/api/items/{item}/decision",
            json={"action": "confirm_reported", "reason": " "},
            headers=bearer(settings, "ann"),
        )
        assert no_reason.status_code == 422 and "reason" in no_reason.json()["error"]


def test_the_paper_in_force_for_one_precinct_is_the_stores(site: SiteData) -> None:
    engine = open_engine(site.settings)
    in_force = readings_in_force(engine, IOWA.id)
    assert in_force
    for precinct, stored in in_force.items():
        paper = paper_in_force(engine, IOWA.id, precinct)
        assert paper is not None and paper.photo_id == stored.photo_id
    assert paper_in_force(engine, IOWA.id, "POLK-ANK-01") is None
