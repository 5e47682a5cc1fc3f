"""The three journeys in a real Chromium (Debian's /usr/bin/chromium driven by Playwright)
against a real `canvass serve` (with its reader) on a free port:

- an uploader on a phone sends a worksheet photo and reads back what was read, and is
  told precisely why to retake a blurred one;
- reviewers clear a mismatch from the keyboard and key an unreadable value blind, twice;
- a reviewer clicks "The report is right" and the report's number is what is stored;
- a certifier sees what blocks a county, and signs off one that is ready;
- a reviewer cannot reach certification, and a form without its CSRF token is refused.

Screenshots at phone (390x844) and desktop (1366x900) sizes go to bench-out/screenshots/
(the path is printed; `pytest -s` shows it).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from canvass.settings import Settings
from canvass.store.db import open_engine
from canvass.store.decide import decisions_for
from canvass.store.review import queue
from tests.support.browser import DESKTOP, PHONE, WAIT_MS, Site, open_as, shot
from tests.support.browser import browser as browser  # the shared Chromium fixture
from tests.support.iowa import IOWA
from tests.support.site import (
    BLURRED_PHOTO,
    UPLOAD_PHOTO,
    prepare_site,
    running_server,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("web") / "data")
    data = prepare_site(settings)
    with running_server(settings) as base:
        yield Site(data, base)


def test_an_uploader_sends_a_photo_and_sees_what_was_read(browser: Browser, site: Site) -> None:
    page = open_as(browser, site, "chair", PHONE)
    expect(page).to_have_url(f"{site.base}/upload")
    expect(page.locator("#photo")).to_have_attribute("capture", "environment")
    shot(page, "phone-upload")
    page.set_input_files("#photo", str(UPLOAD_PHOTO))
    expect(page.locator("#preview")).to_be_visible()
    page.click("#send")
    result = page.locator("#result")
    expect(result).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#result-title")).to_have_text("Precinct Crawford DC-AB (CRAWFORD-DC-AB)")
    expect(page.locator("#result-lines")).to_contain_text("First alignment:")
    expect(page.locator("#result-question")).to_contain_text("Is this what your sheet says?")
    shot(page, "phone-upload-read-back")
    page.click("#answer-yes")
    expect(page.locator("#result-after")).to_contain_text("nothing more to do")
    page.click("#another")
    page.set_input_files("#photo", str(BLURRED_PHOTO))
    page.click("#send")
    expect(page.locator("#result-retake")).to_contain_text("blurred", timeout=WAIT_MS)
    expect(page.locator("#result-question")).to_be_hidden()
    shot(page, "phone-upload-retake")
    page.context.close()


def test_reviewers_clear_a_mismatch_and_key_a_value_blind(browser: Browser, site: Site) -> None:
    ann = open_as(browser, site, "ann", DESKTOP)
    expect(ann).to_have_url(f"{site.base}/review")
    shot(ann, "desktop-review-queue")
    ann.goto("/review?county=Adair&kind=mismatch")
    ann.keyboard.press("n")
    expect(ann.locator("h1")).to_have_text("Precinct Adair 03SW (ADAIR-03SW)")
    crop = ann.locator("img.crop").first
    expect(crop).to_be_visible()
    assert crop.evaluate("img => img.complete && img.naturalWidth > 0")
    expect(ann.locator(".kv")).to_contain_text("App reported")
    expect(ann.locator(".kv")).to_contain_text("17")
    shot(ann, "desktop-review-item")
    ann.keyboard.press("Escape")  # leave the value field
    ann.keyboard.press("1")  # "The paper says": the value field again, machine value selected
    ann.keyboard.type("7")
    ann.keyboard.press("Enter")
    expect(ann.locator(".flash").first).to_contain_text("resolved")
    ann.goto("/review?county=Adams&kind=unreadable")
    ann.keyboard.press("n")
    expect(ann.locator("#decide-panel")).to_contain_text("Blind double entry")
    expect(ann.locator(".kv")).not_to_contain_text("reported")
    ann.keyboard.type(str(site.data.blind_value))
    ann.keyboard.press("Enter")
    expect(ann.locator(".flash").first).to_contain_text("needs a second blind entry")
    ann.context.close()
    bob = open_as(browser, site, "bob", PHONE)
    bob.goto("/review?county=Adams&kind=unreadable")
    bob.click("#take-next")
    expect(bob.locator("#decide-panel")).to_contain_text("1 so far")
    expect(bob.locator("text=Decisions so far")).to_have_count(0)  # no other entry shown
    shot(bob, "phone-review-blind-entry")
    bob.fill("#value", str(site.data.blind_value))
    bob.click("#decide")
    expect(bob.locator(".flash").first).to_contain_text(f"the paper says {site.data.blind_value}")
    bob.context.close()


def test_the_report_is_right_stores_the_reports_number(browser: Browser, site: Site) -> None:
    """ "The paper shows" is prefilled with the machine's reading (7); choosing "The report
    is right" must store the report's 17, and the box is not even sent."""
    engine = open_engine(site.data.settings)
    [item] = queue(engine, IOWA.id, "Adams", "mismatch")
    reported = item.details["reported"]["app"]
    bob = open_as(browser, site, "bob", DESKTOP)
    bob.goto(f"/review/items/{item.id}")
    expect(bob.locator("#value")).to_have_value(str(reported - 10))
    bob.click("label.action:has-text('The report is right')")
    expect(bob.locator("#value")).to_be_disabled()
    shot(bob, "desktop-review-report-is-right")
    bob.click("#decide")
    expect(bob.locator(".flash").first).to_contain_text(f"resolved: {reported}")
    bob.context.close()
    [decision] = decisions_for(engine, item.id)
    assert (decision.reviewer, decision.action, decision.value) == (
        "bob",
        "confirm_reported",
        reported,
    )


def test_a_certifier_signs_off_a_county(browser: Browser, site: Site) -> None:
    pat = open_as(browser, site, "pat", DESKTOP)
    expect(pat).to_have_url(f"{site.base}/certify")
    shot(pat, "desktop-certify-state")
    pat.click("a[href='/certify/Adams']")
    expect(pat.locator("#checklist")).to_contain_text("still block")
    expect(pat.locator("#sign-form")).to_have_count(0)
    pat.goto("/certify")
    pat.click("a[href='/certify/Audubon']")
    expect(pat.locator("#checklist")).to_contain_text("nothing waits in review")
    expect(pat.locator("#discrepancies")).to_contain_text(
        "Acknowledge: the sheet stands as written"
    )
    pat.fill("#role", "Audubon County chair")
    pat.click("#sign-button")
    expect(pat.locator("#certified")).to_contain_text("Certified by Pat (Audubon County chair)")
    expect(pat.locator("a", has_text="Report (PDF)")).to_be_visible()
    shot(pat, "desktop-certify-county")
    pat.set_viewport_size(PHONE)
    shot(pat, "phone-certify-county")
    pat.goto("/")
    shot(pat, "phone-progress")
    pat.set_viewport_size(DESKTOP)
    pat.goto("/results/Audubon")
    expect(pat.locator("h1")).to_contain_text("Audubon")
    shot(pat, "desktop-results-county")
    pat.context.close()


def test_a_reviewer_cannot_reach_certification(browser: Browser, site: Site) -> None:
    ann = open_as(browser, site, "ann", PHONE)
    expect(ann.locator("nav")).not_to_contain_text("Certify")
    answer = ann.goto("/certify/Audubon")
    assert answer is not None and answer.status == 403
    expect(ann.locator("#error-message")).to_contain_text("cannot open this page")
    ann.context.close()


def test_a_form_without_its_csrf_token_is_refused(browser: Browser, site: Site) -> None:
    admin = open_as(browser, site, "admin", DESKTOP)
    shot(admin, "desktop-progress")
    admin.locator("form[action='/reconcile'] input[name=csrf_token]").evaluate("e => e.remove()")
    with admin.expect_navigation():
        admin.click("text=Reconcile now")
    expect(admin.locator("#error-message")).to_contain_text("security token is missing")
    admin.goto("/")
    with admin.expect_navigation():
        admin.click("text=Reconcile now")  # with its token: done
    expect(admin.locator(".flash").first).to_contain_text("precincts compared")
    admin.context.close()
