""" "Something differs" on a number that stands: an uploader says the sheet shows another
number for a field the machine cleared. Their word must neither change the number nor be
silent: it becomes an `uploader_differs` item that holds the county's sign-off until a
reviewer decides, and a number nobody else gives needs two reviewers to agree. Through the
API, on both databases (the site's Audubon: readings and reports agree, nothing blocks)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from fastapi.testclient import TestClient

from canvass.settings import Settings
from canvass.store.db import open_engine
from canvass.store.review import queue
from canvass.store.types import utcnow
from canvass.stories.reconcile import reconcile_election
from reconcile.said import Said, contradictions
from tests.support.client import bearer, client_for, sign_in
from tests.support.images import jpeg
from tests.support.iowa import CERTIFIED, IOWA
from tests.support.site import SiteData, precincts_of, prepare_site

ADAMS = precincts_of("Adams")
AUDUBON = precincts_of("Audubon")
PRECINCT = AUDUBON[1]
PHOTO = hashlib.sha256(jpeg(seed=900 + len(ADAMS) + 1)).hexdigest()  # AUDUBON[1]'s photo
CANDIDATE, TRUE = next((c, v) for c, v in CERTIFIED[PRECINCT].tally.final.items() if v > 0)
FIELD = f"final.{CANDIDATE}"


@pytest.fixture
def site(database_settings: Settings) -> SiteData:
    return prepare_site(database_settings, real_photo=False)


def differs(sha: str) -> str:
    return f"/api/photos/{sha}/differs"


def said_items(settings: Settings) -> list[Any]:
    return [
        i
        for i in queue(open_engine(settings), IOWA.id, county="Audubon")
        if i.kind == "uploader_differs"
    ]


def served(client: TestClient, settings: Settings) -> int:
    rows = client.get("/api/results?county=Audubon", headers=bearer(settings, "pat")).json()
    [row] = [r for r in rows["precincts"] if r["precinct"] == PRECINCT]
    return int(row["final"][CANDIDATE])


def decide(client: TestClient, settings: Settings, who: str, item: int, **body: Any) -> Any:
    answer = client.post(f"/api/items/{item}/decision", json=body, headers=bearer(settings, who))
    assert answer.is_success, answer.text
    return answer.json()


def sign(client: TestClient, settings: Settings) -> Any:
    return client.post(
        "/api/certify/Audubon", json={"role": "chair"}, headers=bearer(settings, "pat")
    )


def test_a_cleared_number_the_sender_disputes_goes_to_two_reviewers(site: SiteData) -> None:
    settings = site.settings
    with client_for(settings) as client:
        assert served(client, settings) == TRUE and said_items(settings) == []
        body = {"fields": {FIELD: TRUE + 1}}
        for _replay in range(2):
            sent = client.post(differs(PHOTO), json=body, headers=bearer(settings, "chair"))
            assert sent.is_success, sent.text
        [item] = said_items(settings)  # one item, however often it is sent
        assert item.precinct_id == PRECINCT and item.fields == [FIELD]
        assert served(client, settings) == TRUE  # one person's word changes nothing
        sign_in(client, "ann")
        page = client.get(f"/review/items/{item.id}")
        assert page.status_code == 200 and "Sender says the sheet differs" in page.text
        # The sender cannot settle their own word: deciding takes a reviewer's account.
        own = client.post(
            f"/api/items/{item.id}/decision",
            json={"action": "paper_says", "value": TRUE + 1, "reason": "I wrote it"},
            headers=bearer(settings, "chair"),
        )
        assert own.status_code == 403, own.text
        blocked = sign(client, settings)
        assert blocked.status_code == 422, blocked.text  # ... but holds the sign-off
        reason = "the crop shows the higher number"
        first = decide(
            client, settings, "ann", item.id, action="paper_says", value=TRUE + 1, reason=reason
        )
        assert first["status"] == "open", first  # neither paper nor report says it
        assert served(client, settings) == TRUE
        second = decide(
            client, settings, "bob", item.id, action="paper_says", value=TRUE + 1, reason=reason
        )
        assert second["status"] == "resolved", second
        assert served(client, settings) == TRUE + 1  # two people agree
        reconcile_election(open_engine(settings), IOWA, utcnow())
        assert said_items(settings) == []  # decided once: not raised again
        after = sign(client, settings)
        # The sheet's sums no longer hold with the number two people keyed: its math
        # findings now hold the sign-off, as for any number keyed.
        assert after.status_code == 422, after.text
        assert "math_finding" in after.text and "uploader_differs" not in after.text


def test_the_report_confirmed_closes_it_and_it_stays_closed(site: SiteData) -> None:
    settings = site.settings
    with client_for(settings) as client:
        sent = client.post(
            differs(PHOTO), json={"fields": {FIELD: TRUE + 3}}, headers=bearer(settings, "chair")
        )
        assert sent.is_success, sent.text
        [item] = said_items(settings)
        reason = "the crop shows the reported number"
        done = decide(client, settings, "ann", item.id, action="confirm_reported", reason=reason)
        assert done["status"] == "resolved", done
        reconcile_election(open_engine(settings), IOWA, utcnow())
        assert said_items(settings) == [] and served(client, settings) == TRUE
        assert sign(client, settings).is_success


def test_saying_what_stands_raises_nothing(site: SiteData) -> None:
    settings = site.settings
    with client_for(settings) as client:
        sent = client.post(
            differs(PHOTO), json={"fields": {FIELD: TRUE}}, headers=bearer(settings, "chair")
        )
        assert sent.is_success, sent.text
        assert said_items(settings) == []
        assert sign(client, settings).is_success


def test_one_item_per_number_said_and_none_where_an_item_is() -> None:
    said = {
        "a": [Said(5, "p1", "chair", "t1"), Said(5, "p2", "dale", "t2"), Said(6, "p1", "x", "t3")],
        "b": [Said(9, "p1", "chair", "t1")],  # the field has an item of its own
        "c": [Said(4, "p1", "chair", "t1")],  # stands at 4: nothing to see
        "d": [Said(1, "p1", "chair", "t1")],  # nobody determined it: keyed blind anyway
    }
    found = contradictions(said, {"a": 7, "b": 8, "c": 4, "d": None}, covered={"b"})
    assert [(c.key, c.said.value, c.in_force) for c in found] == [("a", 5, 7), ("a", 6, 7)]
