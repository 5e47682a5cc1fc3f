"""Every number leads to its paper, in a real Chromium against a real `canvass serve`: a
reviewer goes from a state total to the same count per county, to a county's page, to a
precinct's number, to its evidence page, where the field's crop (cut by the real reader
from a real worksheet photo) loads; an uploader on the same page sees the numbers but no
photo. Screenshots go to bench-out/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Browser, expect

from canvass.forms.registry import form_of
from canvass.settings import Settings
from tests.support.browser import DESKTOP, PHONE, Site, open_as, shot
from tests.support.browser import browser as browser  # the shared Chromium fixture
from tests.support.iowa import IOWA
from tests.support.site import prepare_site, running_server

pytestmark = pytest.mark.slow
PRECINCT = "ADAIR-03SW"  # the real photo, read by the real reader, its crops kept
KEYS = form_of(IOWA).reported_keys(IOWA.candidates)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("evidence") / "data")
    data = prepare_site(settings)
    with running_server(settings, reader=False) as base:
        yield Site(data, base)


def test_a_state_total_leads_to_a_precincts_crop(browser: Browser, site: Site) -> None:
    page = open_as(browser, site, "ann", DESKTOP)
    page.goto("/results")
    page.locator("table.totals a.count").first.click()
    expect(page.locator("#chosen-field")).to_be_visible()
    key = parse_qs(urlparse(page.url).query)["field"][0]
    page.locator("table.by-field a", has_text="Adair").first.click()
    expect(page.locator("h1")).to_contain_text("Adair")
    number = page.locator(f'a.count[href="/evidence/{PRECINCT}/{KEYS.index(key)}"]')
    expect(number).to_be_visible()
    number.click()
    expect(page.locator("h1")).to_contain_text(form_of(IOWA).label(key))
    crop = page.locator("#crop")
    expect(crop).to_be_visible()
    crop.scroll_into_view_if_needed()
    page.wait_for_function("() => document.querySelector('#crop').complete")
    assert crop.evaluate("img => img.complete && img.naturalWidth > 0")
    expect(page.locator("#sheet-link")).to_be_visible()
    shot(page, "desktop-evidence")
    page.click("#to-precinct")
    expect(page.locator("h1")).to_contain_text(PRECINCT)
    page.context.close()


def test_an_uploader_sees_the_number_but_no_photo(browser: Browser, site: Site) -> None:
    page = open_as(browser, site, "chair", PHONE)
    page.goto(f"/results/Adair/{PRECINCT}")
    page.locator("a.count").first.click()
    expect(page.locator("#paper")).to_contain_text("Photos and crops are shown to reviewers")
    expect(page.locator("#crop")).to_have_count(0)
    shot(page, "phone-evidence-uploader")
    page.context.close()
