"""The uploader's loop in a real Chromium at phone size (390x844) against a real
`canvass serve` with its reader: refusals are shown as errors, a typed precinct is
optional and said back when it is not the sheet's, "No, something differs" reaches the
reviewer's item page, and the photo input's keyboard focus is visible.

Screenshots go to bench-out/screenshots/ (phone-upload-*.png).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from canvass.settings import Settings
from canvass.store.db import open_engine
from canvass.store.review import queue
from tests.support.browser import DESKTOP, PHONE, WAIT_MS, Site, open_as, shot
from tests.support.browser import browser as browser  # the shared Chromium fixture
from tests.support.iowa import IOWA
from tests.support.site import PHOTOS, REAL_PHOTO, UPLOAD_PHOTO, prepare_site, running_server

pytestmark = pytest.mark.slow

NOT_A_WORKSHEET = PHOTOS / "photo-00015.jpg"  # a scene, no sheet in it
WAPELLO = PHOTOS / "photo-00000.jpg"  # a good photo of WAPELLO-OT06's sheet
ERROR_BACKGROUND = "rgb(253, 232, 230)"  # style.css --bad-bg


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("upload") / "data")
    data = prepare_site(settings)
    with running_server(settings) as base:
        yield Site(data, base)


def send(page: Page, photo: object, precinct: str = "") -> None:
    page.goto("/upload")
    page.fill("#precinct", precinct)
    page.set_input_files("#photo", photo)  # type: ignore[arg-type]
    page.click("#send")


def test_refusals_are_shown_as_errors(browser: Browser, site: Site) -> None:
    page = open_as(browser, site, "chair", PHONE)
    send(page, {"name": "notes.jpg", "mimeType": "image/jpeg", "buffer": b"not a photo at all"})
    error = page.locator("#upload-error")
    expect(error).to_be_visible(timeout=WAIT_MS)
    expect(error).to_have_attribute("role", "alert")
    expect(error).to_contain_text("The photo was not accepted")
    expect(error).to_contain_text("Not a photo")
    expect(page.locator("#progress-box")).to_be_hidden()  # no full green bar under it
    assert error.evaluate("e => getComputedStyle(e).backgroundColor") == ERROR_BACKGROUND
    shot(page, "phone-upload-refused-at-intake")
    send(page, str(NOT_A_WORKSHEET))
    retake = page.locator("#result-retake")
    expect(retake).to_be_visible(timeout=WAIT_MS)
    expect(retake).to_have_attribute("role", "alert")
    expect(retake).to_contain_text("Refused: this photo cannot be used")
    expect(retake).to_contain_text("This is not a worksheet")
    expect(retake).not_to_contain_text("blurred")
    assert retake.evaluate("e => getComputedStyle(e).backgroundColor") == ERROR_BACKGROUND
    expect(page.locator("#result-question")).to_be_hidden()
    expect(page.locator("#another")).to_have_text("Retake the photo")
    shot(page, "phone-upload-refused-not-a-worksheet")
    page.context.close()


def test_an_unknown_typed_precinct_does_not_refuse_a_sheet(browser: Browser, site: Site) -> None:
    page = open_as(browser, site, "chair", PHONE)
    send(page, str(UPLOAD_PHOTO), "nowhere-9")
    expect(page.locator("#result-title")).to_have_text(
        "Precinct Crawford DC-AB (CRAWFORD-DC-AB)", timeout=WAIT_MS
    )
    note = page.locator("#result-precinct")
    expect(note).to_be_visible()
    expect(note).to_contain_text("You typed NOWHERE-9, which is not a precinct of this election")
    expect(page.locator("#result-question")).to_be_visible()
    shot(page, "phone-upload-unknown-precinct")
    page.context.close()


def test_a_typed_precinct_that_differs_is_said_on_the_read_back(
    browser: Browser, site: Site
) -> None:
    page = open_as(browser, site, "chair", PHONE)
    send(page, str(WAPELLO), "ADAIR-03SW")
    expect(page.locator("#result-title")).to_contain_text("WAPELLO-OT06", timeout=WAIT_MS)
    expect(page.locator("#result-precinct")).to_have_text(
        "You typed Precinct Adair 03SW (ADAIR-03SW), but the sheet's code says Precinct "
        "Wapello OT06 (WAPELLO-OT06). The sheet's precinct is used; a reviewer checks which "
        "precinct this photo is of."
    )
    shot(page, "phone-upload-precinct-differs")
    page.context.close()


def test_something_differs_reaches_the_reviewers_item(browser: Browser, site: Site) -> None:
    """The chair sends ADAIR-03SW's sheet again (already read: the same record), says the
    final alignment's Sanders is 7 on the sheet, and the reviewer sees it on the item."""
    page = open_as(browser, site, "chair", PHONE)
    send(page, str(REAL_PHOTO))
    expect(page.locator("#result-title")).to_contain_text("ADAIR-03SW", timeout=WAIT_MS)
    page.click("#answer-no")
    form = page.locator("#differs-form")
    expect(form).to_be_visible()
    page.select_option("#differs-field-1", "final.Sanders")
    page.fill("#differs-value-1", "seven")
    page.click("#differs-send")
    expect(page.locator("#differs-error")).to_contain_text("digits only")
    page.fill("#differs-value-1", "7")
    page.click("#differs-add")
    page.select_option("#differs-field-2", "attendees")
    page.fill("#differs-value-2", "77")
    shot(page, "phone-upload-something-differs")
    page.click("#differs-send")
    expect(page.locator("#result-after")).to_contain_text("Sent to the reviewers")
    expect(form).to_be_hidden()
    page.context.close()
    engine = open_engine(site.data.settings)
    [item] = [i for i in queue(engine, IOWA.id, "Adair", "mismatch") if "final.Sanders" in i.fields]
    ann = open_as(browser, site, "ann", DESKTOP)
    ann.goto(f"/review/items/{item.id}")
    says = ann.locator("#uploader-says")
    expect(says).to_contain_text("The uploader says the sheet differs")
    expect(says).to_contain_text("Final alignment, Sanders: the sheet shows 7")
    expect(says).not_to_contain_text("77")  # another field's word is on that field's item
    shot(ann, "desktop-review-uploader-says")
    ann.context.close()


def test_the_photo_inputs_keyboard_focus_is_visible(browser: Browser, site: Site) -> None:
    page = open_as(browser, site, "chair", PHONE)
    page.goto("/upload")
    camera = page.locator("label.camera")
    assert camera.evaluate("e => getComputedStyle(e).outlineStyle") == "none"
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == "photo":
            break
    else:
        pytest.fail("Tab never reached the photo input")
    style = camera.evaluate(
        "e => { const s = getComputedStyle(e); return [s.outlineStyle, s.outlineWidth]; }"
    )
    assert style == ["solid", "3px"]
    shot(page, "phone-upload-keyboard-focus")
    page.context.close()
