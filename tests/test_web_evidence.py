"""Every number leads to its paper, on the web, on both databases: the state total to its
counties, a county's number to its precinct's evidence, the evidence page (crop, sheet,
sources, decisions in words, provisional marked), and each attack kept as a test: no
sign-in, an uploader (no photos), ids and fields that do not exist, blind fields."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from canvass.forms.registry import form_of
from canvass.forms.spec import key_of
from canvass.model import County, Election, Precinct, SheetReading
from canvass.settings import Settings
from canvass.store.accounts import add_account
from canvass.store.db import migrate, open_engine
from canvass.store.elections import save_election
from canvass.store.readings import record_reading
from canvass.store.types import utcnow
from canvass.stories.reconcile import reconcile_election
from ingest.blobs import LocalBlobStore, open_blob_store
from ingest.photos import Custody, Intake, intake_photo
from tests.support.client import client_for, sign_in
from tests.support.images import jpeg, png
from tests.support.intake import LIMITS, make_intake
from tests.support.iowa import CERTIFIED, IOWA
from tests.support.readings import confident_field, reading_of
from tests.support.site import MISMATCH_FIELD, PASSWORD, SiteData, precincts_of, prepare_site

KEYS = form_of(IOWA).reported_keys(IOWA.candidates)
ADAMS = precincts_of("Adams")
WITH_CROPS = precincts_of("Audubon")[1]
CROP = png(120, 40)


@pytest.fixture
def site(database_settings: Settings) -> SiteData:
    """The web tests' site, and one Audubon precinct read again with its crops kept."""
    site = prepare_site(database_settings, real_photo=False)
    intake = make_intake(site.settings)
    stored = intake_photo(intake, jpeg(seed=77), "again.jpg", Custody("chair", "t", WITH_CROPS))
    assert stored.photo_id is not None
    crops = open_blob_store(site.settings, "crops")
    for key in KEYS:
        crops.write(f"{stored.photo_id}/{key}.png", CROP)
    crops.write(f"{stored.photo_id}/sheet.jpg", jpeg(seed=78))
    reading = reading_of(CERTIFIED[WITH_CROPS].tally)
    record_reading(intake.engine, stored.photo_id, IOWA.id, reading, str(stored.photo_id), utcnow())
    reconcile_election(intake.engine, IOWA, utcnow())
    intake.engine.dispose()
    return site


def evidence_of(precinct: str, key: str) -> str:
    return f"/evidence/{precinct}/{KEYS.index(key)}"


def test_a_state_total_leads_to_a_precincts_crop(site: SiteData) -> None:
    tally = CERTIFIED[WITH_CROPS].tally
    leader = max(tally.first, key=lambda c: tally.first[c])
    key = f"first.{leader}"
    with client_for(site.settings) as client:
        sign_in(client, "ann")
        state = client.get("/results").text
        by_county = f"/results?field={quote(key, safe='')}#by-county"
        assert f'href="{by_county}"' in state
        chosen = client.get(by_county.split("#")[0]).text
        assert 'id="chosen-field">First alignment, ' + leader in chosen
        assert 'href="/results/Audubon#by-precinct"' in chosen
        county = client.get("/results/Audubon").text
        assert 'href="#by-precinct"' in county
        assert f'href="/results/Audubon/{WITH_CROPS}"' in county
        assert f'href="{evidence_of(WITH_CROPS, key)}"' in county
        precinct = client.get(f"/results/Audubon/{WITH_CROPS}").text
        assert f'href="{evidence_of(WITH_CROPS, key)}"' in precinct
        page = client.get(evidence_of(WITH_CROPS, key)).text
        assert f"First alignment, {leader}" in page and 'id="settled"' in page
        assert f'id="the-number">{tally.first[leader]}<' in page
        crop_url = f"{evidence_of(WITH_CROPS, key)}/crop.png"
        assert f'src="{crop_url}"' in page and 'id="sheet-link"' in page
        answer = client.get(crop_url)
        assert answer.status_code == 200 and answer.content == CROP
        assert answer.headers["content-type"] == "image/png"
        sheet = re.search(r'href="(/crops/\d+/sheet\.jpg)"', page)
        assert sheet is not None and client.get(sheet.group(1)).status_code == 200
        assert "App</dt><dd>" in page  # the source's value


def test_a_mismatch_is_provisional_with_its_sources(site: SiteData) -> None:
    truth = CERTIFIED[ADAMS[0]].tally.final["Sanders"]
    with client_for(site.settings) as client:
        sign_in(client, "bob")
        page = client.get(evidence_of(ADAMS[0], MISMATCH_FIELD)).text
        assert "Final alignment, Sanders" in page
        assert 'id="provisional">provisional' in page
        assert f"App</dt><dd>{truth + 10} " in page
        assert f'id="machine">{truth} ' in page
        assert "The paper and the reports differ" in page
        assert "No crop was kept for this reading" in page  # and no broken image
        assert client.get(f"{evidence_of(ADAMS[0], MISMATCH_FIELD)}/crop.png").status_code == 404


def test_a_blind_field_shows_nothing_to_copy(site: SiteData) -> None:
    with client_for(site.settings) as client:
        for who in ("ann", "admin"):
            sign_in(client, who)
            page = client.get(evidence_of(site.blind_precinct, site.blind_field)).text
            assert 'id="withheld"' in page
            assert "App</dt>" not in page and 'id="the-number"' not in page
            assert "withheld until the blind entries agree" in page
            assert f">{site.blind_value}<" not in page
        index = KEYS.index(site.blind_field)
        precinct = client.get(f"/results/Adams/{site.blind_precinct}").text
        cell = precinct[precinct.index(f'href="/evidence/{site.blind_precinct}/{index}"') :]
        assert cell.split("</a>")[0].endswith(
            'waiting for blind double entry: not shown until two reviewers agree">?</span>'
        )


def test_an_uploader_sees_numbers_and_sources_but_no_photos(site: SiteData) -> None:
    with client_for(site.settings) as client:
        sign_in(client, "chair")
        page = client.get(evidence_of(WITH_CROPS, KEYS[0])).text
        assert "Photos and crops are shown to reviewers" in page
        assert "/crop.png" not in page and "sheet.jpg" not in page and "/photos/" not in page
        assert client.get(f"{evidence_of(WITH_CROPS, KEYS[0])}/crop.png").status_code == 403


def test_no_sign_in_no_evidence(site: SiteData) -> None:
    with client_for(site.settings) as client:
        for path in (
            f"/results/Audubon/{WITH_CROPS}",
            evidence_of(WITH_CROPS, KEYS[0]),
            f"{evidence_of(WITH_CROPS, KEYS[0])}/crop.png",
        ):
            answer = client.get(path, follow_redirects=False)
            assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_what_does_not_exist_is_a_clear_404(site: SiteData) -> None:
    with client_for(site.settings) as client:
        sign_in(client, "ann")
        cases = {
            f"/evidence/{ADAMS[0]}/{len(KEYS)}": f"fields are numbered 0 to {len(KEYS) - 1}",
            "/evidence/NOWHERE-1/0": "no precinct &#39;NOWHERE-1&#39;",
            f"/results/Adair/{ADAMS[0]}": f"precinct {ADAMS[0]} is in Adams, not in Adair",
            f"/results/Nowhere/{ADAMS[0]}": "no county &#39;Nowhere&#39;",
            "/results?field=first.Nobody": "the results show no count",
        }
        for path, said in cases.items():
            answer = client.get(path)
            assert answer.status_code == 404, path
            assert said.lower() in answer.text.lower(), (path, answer.text[-600:])
        assert client.get(f"/evidence/{ADAMS[0]}/-1").status_code == 422
        assert client.get(f"/evidence/{ADAMS[0]}/99999999999").status_code == 422
        assert client.get(f"/evidence/{ADAMS[0]}/0%00").status_code in (404, 422)


def test_a_precinct_without_paper_says_so(database_settings: Settings) -> None:
    site = prepare_site(database_settings, real_photo=False)
    nothing = precincts_of("Adair")[1]  # no photo, no report
    with client_for(site.settings) as client:
        sign_in(client, "ann")
        precinct = client.get(f"/results/Adair/{nothing}")
        assert precinct.status_code == 200 and "No results for this precinct yet" in precinct.text
        page = client.get(f"/evidence/{nothing}/0").text
        assert "not in the results yet" in page and "No photo of this" in page


TRUMP = "Donald J. Trump and Michael R. Pence"  # dots and spaces in a ballot line
GENERAL = Election(
    id="evidence-general",
    name="A general election",
    rule_set="vote-count",
    form="precinct-results",
    candidates=(TRUMP, "Write-in"),
    counties=(County(name="Story"),),
    precincts=(Precinct(id="STORY-1", county="Story", name="Ames 1"),),
)


def general_sheet() -> dict[str, int]:
    """STORY-1's sheet: per line election day, absentee and their total; the Totals row."""
    lines = {TRUMP: (300, 200), "Write-in": (3, 2)}
    values: dict[str, int] = {}
    for line, (day, absentee) in lines.items():
        values |= {key_of("election_day", line): day, key_of("absentee", line): absentee}
        values[key_of("total", line)] = day + absentee
    values[key_of("election_day")] = sum(d for d, _ in lines.values())
    values[key_of("absentee")] = sum(a for _, a in lines.values())
    values[key_of("total")] = sum(d + a for d, a in lines.values())
    return values


def test_a_general_elections_keys_with_dots_and_spaces(sqlite_settings: Settings) -> None:
    """Ballot lines hold dots and spaces: the state total's breakdown, the precinct's link
    and the crop (stored under the key itself) still lead to the paper."""
    engine = open_engine(sqlite_settings)
    migrate(engine)
    save_election(engine, GENERAL)
    add_account(engine, "chair", PASSWORD, "certifier", utcnow(), "Chair", scopes=["Story"])
    key = key_of("total", TRUMP)
    intake = Intake(engine, LocalBlobStore(sqlite_settings.photos_dir), GENERAL, LIMITS)
    stored = intake_photo(intake, jpeg(seed=79), "sheet.jpg", Custody("u", "t", "STORY-1"))
    assert stored.photo_id is not None
    open_blob_store(sqlite_settings, "crops").write(f"{stored.photo_id}/{key}.png", CROP)
    fields = {k: confident_field(v, 4) for k, v in general_sheet().items()}
    reading = SheetReading(status="read", precinct="STORY-1", form="x", fields=fields)
    record_reading(engine, stored.photo_id, GENERAL.id, reading, str(stored.photo_id), utcnow())
    engine.dispose()
    index = form_of(GENERAL).reported_keys(GENERAL.candidates).index(key)
    with client_for(sqlite_settings) as client:
        sign_in(client, "chair")  # a certifier: may see photos
        state = client.get(f"/results?field={quote(key, safe='')}").text
        assert f"Total votes, {TRUMP}" in state and 'href="/results/Story#by-precinct"' in state
        precinct = client.get("/results/Story/STORY-1").text
        assert f'href="/evidence/STORY-1/{index}"' in precinct
        page = client.get(f"/evidence/STORY-1/{index}").text
        assert f"Total votes, {TRUMP}" in page and 'id="the-number">500<' in page
        assert client.get(f"/evidence/STORY-1/{index}/crop.png").content == CROP
        # the review item page's crop address takes the key too (spaces and all)
        assert client.get(f"/crops/{stored.photo_id}/{quote(key)}.png").content == CROP
        assert client.get(f"/crops/{stored.photo_id}/no%20such.png").status_code == 404
