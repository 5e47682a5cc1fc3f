"""The pictures drawn on the server, in a real Chromium against a real `canvass serve`: the
progress page's stacked bars and the results pages' share charts are visible (a box of
some size, not just present in the markup) at phone (390x844) and desktop (1280x800)
sizes, under the app's Content-Security-Policy (no CSP violation is reported). The
screenshots go to the test's temporary directory (the path is printed; `pytest -s`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from canvass.settings import Settings
from tests.support.browser import Site, open_as
from tests.support.browser import browser as browser  # the shared Chromium fixture
from tests.support.site import prepare_site, running_server

pytestmark = pytest.mark.slow
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
PAGES = {"progress": ("/", "svg.stage-bar"), "results": ("/results", "svg.share-chart")}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("pictures") / "data")
    data = prepare_site(settings, real_photo=False)
    with running_server(settings, reader=False) as base:
        yield Site(data, base)


def assert_visible(page: Page, selector: str) -> None:
    picture = page.locator(selector).first
    expect(picture).to_be_visible()
    box = picture.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 5, (selector, box)
    inner = page.locator(f"{selector} rect").first.bounding_box()
    assert inner is not None and inner["width"] > 0 and inner["height"] > 0


@pytest.mark.parametrize("size", SIZES)
def test_the_pictures_show_at_phone_and_desktop_sizes(
    browser: Browser, site: Site, size: str, tmp_path: Path
) -> None:
    page = open_as(browser, site, "pat", SIZES[size])
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security" in m.text else None)
    for name, (address, selector) in PAGES.items():
        page.goto(address)
        assert_visible(page, selector)
        shot = tmp_path / f"{size}-{name}.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"\nscreenshot: {shot}")
    expect(page.locator("#as-of")).to_have_count(0)  # the results page has none
    page.goto("/")
    expect(page.locator("#as-of")).to_contain_text("As of")
    page.goto("/results/Audubon")
    assert_visible(page, "svg.share-chart")
    page.screenshot(path=str(tmp_path / f"{size}-results-county.png"), full_page=True)
    assert blocked == []
    page.context.close()


def test_the_certifier_sees_the_work_and_a_styled_report(
    browser: Browser, site: Site, tmp_path: Path
) -> None:
    page = open_as(browser, site, "pat", SIZES["phone"])
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security" in m.text else None)
    page.goto("/certify/Adams")
    expect(page.locator("#blockers a").first).to_be_visible()
    page.screenshot(path=str(tmp_path / "phone-certify-blockers.png"), full_page=True)
    page.locator("#blockers a").first.click()
    expect(page.locator("#for-certifier")).to_be_visible()
    page.goto("/certify/Audubon")
    page.click("#sign-button")
    expect(page.locator("#certified")).to_be_visible()
    page.set_viewport_size(SIZES["desktop"])
    page.goto("/certify/Audubon/files/report.html")
    collapse = page.locator("table").first.evaluate("t => getComputedStyle(t).borderCollapse")
    assert collapse == "collapse"  # the report's own style applies under the CSP
    page.screenshot(path=str(tmp_path / "desktop-report.png"), full_page=True)
    print(f"\nscreenshots: {tmp_path}")
    assert blocked == []
    page.context.close()
