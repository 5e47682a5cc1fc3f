"""What the browser tests share: the Chromium they drive (Debian's /usr/bin/chromium, by
Playwright), the phone and desktop sizes, a running site, signing in and screenshots."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.support.site import PASSWORD, SCREENSHOTS, SiteData

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
WAIT_MS = 60_000


@dataclass(frozen=True)
class Site:
    data: SiteData
    base: str


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {SCREENSHOTS}")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class HasBase(Protocol):
    @property
    def base(self) -> str: ...


def open_as(browser: Browser, site: HasBase, username: str, size: dict[str, int]) -> Page:
    """A fresh browser (its own cookies) at `size`, signed in as `username`."""
    context = browser.new_context(
        viewport=size, base_url=site.base, device_scale_factor=1, has_touch=size == PHONE
    )
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    expect(page.locator(".signout")).to_contain_text(username.capitalize())
    return page


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
