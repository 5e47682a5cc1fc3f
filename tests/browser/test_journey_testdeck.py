"""The test deck in a real Chromium against a real `canvass serve` with its reader: an
administrator uploads the photo of a filled test sheet from the test deck page, sees it
read as a test sheet, then finds the sheet's figures on the page and the crop of the field
its writer slipped on (a misread against the script); a reviewer has no such page.
Screenshots go to bench-out/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Browser, expect

from canvass.settings import BUILTIN_DATA, Settings
from canvass.store.db import open_engine
from canvass.store.types import utcnow
from canvass.stories.testdeck import create_deck
from canvass.synth.camera import photograph
from canvass.synth.fill import DigitBank, fill_sheet
from canvass.synth.generate import digit_region
from canvass.worksheet.layout import build_layout
from canvass.worksheet.render import WorksheetRenderer
from tests.support.browser import DESKTOP, PHONE, open_as, shot
from tests.support.browser import browser as browser  # the shared Chromium fixture
from tests.support.iowa import IOWA
from tests.support.site import prepare_site, running_server

pytestmark = pytest.mark.slow
SLIP = "attendees"  # the writer copies this one wrong: the report must show it misread


@dataclass(frozen=True)
class DeckSite:
    base: str
    photo: Path
    code: str
    scripted: int


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeckSite]:
    folder = tmp_path_factory.mktemp("testdeck")
    settings = Settings(data_dir=folder / "data")
    prepare_site(settings, real_photo=False)
    engine = open_engine(settings)
    made = create_deck(engine, IOWA, "Adair", folder / "deck.pdf", "admin", utcnow(), sheets=1)
    engine.dispose()
    sheet = made.sheets[0]
    layout = build_layout(IOWA)
    values = {k: v for k, v in sheet.values.items() if v is not None}
    scripted = values[SLIP]
    values[SLIP] = scripted + 1 if scripted < 9999 else 1
    rng = np.random.default_rng(41)
    page = WorksheetRenderer(layout, IOWA).render_array(
        IOWA.precinct_by_id[sheet.precinct], test=sheet.code
    )
    bank = DigitBank.load(BUILTIN_DATA / "handwriting" / "digits.png", "evaluate")
    filled, _, _ = fill_sheet(page, layout, values, bank, rng)
    photo = folder / "test-sheet.jpg"
    photo.write_bytes(photograph(filled, "ok", (2448, 3264), rng, digit_region(layout)).jpeg)
    with running_server(settings) as base:
        yield DeckSite(base, photo, sheet.code, scripted)


def test_an_administrator_uploads_a_test_photo_and_finds_its_misread(
    browser: Browser, site: DeckSite
) -> None:
    page = open_as(browser, site, "admin", DESKTOP)
    page.click("nav >> text=Test deck")
    expect(page.locator("h1")).to_have_text("Test deck")
    page.set_input_files("#test-photo", str(site.photo))
    page.click("#testdeck-upload button[type=submit]")
    expect(page.locator("h1")).to_contain_text(f"TEST sheet {site.code}", timeout=120_000)
    expect(page.locator(".notice")).to_contain_text("never to results")
    page.goto("/testdeck?county=Adair")
    row = page.locator(f"#sheet-{site.code}")
    expect(row).to_be_visible()
    expect(row).to_contain_text("ADAIR-01NW")
    expect(page.locator(".stats")).to_contain_text("of 1 test sheets read")
    misread = page.locator("ul.misreads li", has_text="Attendees at start")
    expect(misread).to_contain_text(f"the script says {site.scripted}")
    crop = misread.locator("img.crop")
    crop.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete", arg=crop.element_handle())
    assert crop.evaluate("img => img.naturalWidth > 0")
    shot(page, "desktop-testdeck")
    page.context.close()


def test_a_reviewer_has_no_test_deck(browser: Browser, site: DeckSite) -> None:
    page = open_as(browser, site, "ann", PHONE)
    expect(page.locator("nav")).not_to_contain_text("Test deck")
    answer = page.goto("/testdeck")
    assert answer is not None and answer.status == 403
    page.context.close()
