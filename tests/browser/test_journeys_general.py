"""The people's side of a general election in a real Chromium against a real `canvass
serve` (with its reader): the Iowa 2020 general election (President), whose sheet is a
precinct results sheet (form `precinct-results`, rule set `vote-count`).

- an uploader sends a photo of a precinct's results sheet (synthetic, filled with its
  certified votes) and reads back, column by column, what was read, Totals included;
- a reviewer opens the item of a count the report gives otherwise: the field is named by
  the form ("Absentee, Joseph R. Biden and Kamala D. Harris"), and nothing speaks of
  delegates or SDE;
- the county's results page shows the form's columns per ballot line and the Totals row.

Screenshots go to bench-out/screenshots/ (general-*.png).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from canvass.elections.iowa2020_general import build_general, general_data_dir
from canvass.forms.registry import form_of
from canvass.forms.spec import key_of
from canvass.model import SheetNumbers, SheetReading
from canvass.settings import BUILTIN_DATA, Settings
from canvass.store.accounts import add_account
from canvass.store.db import migrate, open_engine
from canvass.store.elections import save_election
from canvass.store.intake import ReportVersion, store_reports
from canvass.store.readings import record_reading
from canvass.store.types import utcnow
from canvass.stories.reconcile import reconcile_election
from canvass.synth.generate import SynthConfig, generate_set, plan_jobs
from canvass.synth.sources import units_for
from ingest.blobs import LocalBlobStore
from ingest.photos import Custody, Intake, intake_photo
from tests.support.browser import DESKTOP, PHONE, open_as
from tests.support.browser import browser as browser  # the shared Chromium fixture
from tests.support.browser import shot as shared_shot
from tests.support.images import jpeg
from tests.support.intake import LIMITS
from tests.support.readings import confident_field
from tests.support.site import PASSWORD, running_server

pytestmark = pytest.mark.slow
READ_MS = 90_000  # the real reader, on a busy 2-core machine
GENERAL = build_general(general_data_dir(BUILTIN_DATA))
COUNTY = "Story"
BIDEN = "Joseph R. Biden and Kamala D. Harris"
MISMATCH = key_of("absentee", BIDEN)  # the app reports 10 more than the sheet


@dataclass(frozen=True)
class Site:
    base: str
    upload_photo: Path
    upload_precinct: str
    mismatch_precinct: str


def story_units() -> list[tuple[str, SheetNumbers]]:
    return [(p.id, n) for p, n in units_for(GENERAL, BUILTIN_DATA) if p.county == COUNTY]


def prepare_general_site(settings: Settings, photos: Path) -> tuple[Path, str, str]:
    """Story county: one precinct's synthetic photo kept for the uploader; four precincts
    read as written (one of them with an app report off by ten: a `mismatch` item), their
    reports agreeing otherwise; an uploader, a reviewer and a certifier."""
    engine = open_engine(settings)
    migrate(engine)
    save_election(engine, GENERAL)
    intake = Intake(engine, LocalBlobStore(settings.photos_dir), GENERAL, LIMITS)
    units = story_units()
    busy = sorted(units, key=lambda u: -sum(u[1].values.values()))
    upload_precinct, upload_numbers = busy[0]
    jobs = plan_jobs([(GENERAL.precinct_by_id[upload_precinct], upload_numbers)], None, 11, 0.0)
    config = SynthConfig(
        seed=11, split="evaluate", digits_path=BUILTIN_DATA / "handwriting" / "digits.png"
    )
    generate_set(jobs, config, GENERAL, photos, workers=1)
    reports: list[ReportVersion] = []
    spec = form_of(GENERAL)
    for i, (precinct, numbers) in enumerate(busy[1:5]):
        stored = intake_photo(
            intake, jpeg(seed=1200 + i), f"{precinct}.jpg", Custody("chair", "t", precinct)
        )
        assert stored.photo_id is not None
        fields = {k: confident_field(v, spec.digits_of(k)) for k, v in numbers.values.items()}
        reading = SheetReading(status="read", precinct=precinct, form="t", fields=fields)
        record_reading(engine, stored.photo_id, GENERAL.id, reading, None, utcnow())
        report: dict[str, int | float] = dict(numbers.values)
        if i == 0:
            report[MISMATCH] = numbers.values[MISMATCH] + 10
        reports.append(ReportVersion(precinct, report, None))
    store_reports(engine, GENERAL.id, "app", "app.jsonl", "sha-general-web", reports, utcnow())
    reconcile_election(engine, GENERAL, utcnow())
    for username, role in (("chair", "uploader"), ("ann", "reviewer"), ("admin", "admin")):
        add_account(engine, username, PASSWORD, role, utcnow(), username.capitalize())
    engine.dispose()
    return photos / f"{jobs[0].stem}.jpg", upload_precinct, busy[1][0]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("general") / "data")
    prepared = prepare_general_site(settings, tmp_path_factory.mktemp("general-photos"))
    with running_server(settings) as base:
        yield Site(base, *prepared)


def shot(page: Page, name: str) -> None:
    shared_shot(page, f"general-{name}")


def test_an_uploader_reads_back_a_results_sheet(browser: Browser, site: Site) -> None:
    page = open_as(browser, site, "chair", PHONE)
    expect(page).to_have_url(f"{site.base}/upload")
    expect(page.locator("h1")).to_contain_text("Send the sheet photo")
    page.set_input_files("#photo", str(site.upload_photo))
    page.click("#send")
    expect(page.locator("#result")).to_be_visible(timeout=READ_MS)
    known = GENERAL.precinct_by_id[site.upload_precinct]
    expect(page.locator("#result-title")).to_contain_text(f"({site.upload_precinct})")
    expect(page.locator("#result-title")).to_contain_text(known.county)
    lines = page.locator("#result-lines")
    for column in ("Election day:", "Absentee:", "Total votes:"):
        expect(lines).to_contain_text(column)
    expect(lines).to_contain_text("Totals ")
    expect(lines).not_to_contain_text("alignment")
    expect(page.locator("#result-question")).to_contain_text("Is this what your sheet says?")
    shot(page, "phone-upload-read-back")
    page.context.close()


def test_a_reviewer_sees_the_fields_named_by_the_form(browser: Browser, site: Site) -> None:
    ann = open_as(browser, site, "ann", DESKTOP)
    expect(ann).to_have_url(f"{site.base}/review")
    expect(ann.locator("#queue")).not_to_contain_text("SDE")
    ann.goto(f"/review?county={COUNTY}&kind=mismatch")
    ann.keyboard.press("n")
    expect(ann.locator("h1")).to_contain_text(f"({site.mismatch_precinct})")
    expect(ann.locator(".field h2").first).to_have_text(f"Absentee, {BIDEN}")
    expect(ann.locator("main")).not_to_contain_text("delegate")
    expect(ann.locator("main")).not_to_contain_text("SDE")
    shot(ann, "desktop-review-item")
    ann.context.close()


def test_the_results_page_has_the_forms_columns(browser: Browser, site: Site) -> None:
    admin = open_as(browser, site, "admin", DESKTOP)
    admin.goto("/results")
    totals = admin.locator("table.totals")
    for heading in ("Ballot line", "Election day", "Absentee", "Total votes"):
        expect(totals.locator("thead")).to_contain_text(heading)
    expect(totals.locator("tbody tr").last).to_contain_text("Totals")
    expect(admin.locator("main")).not_to_contain_text("SDE")
    expect(admin.locator("main")).not_to_contain_text("caucus")
    admin.goto(f"/results/{COUNTY}")
    expect(admin.locator("h1")).to_contain_text(COUNTY)
    expect(admin.locator("details").first).to_contain_text("Totals")
    shot(admin, "desktop-results-county")
    admin.context.close()
