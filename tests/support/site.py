"""Election-night data and a real `canvass serve` for the web tests.

Three counties, each for one journey:
- Adair: a real worksheet photo (fixtures/photos/small, ADAIR-03SW) read by the real
  reader, against an app report with one transposed count (final.Sanders 17 for 7): a
  `mismatch` item with a real crop, and whatever fields the reader was unsure of.
- Adams: readings built from the certified 2020 numbers, with one field the machine could
  not read: an `unreadable` item for blind double entry (its true value is known); and
  a report with a count off by ten: a `mismatch` item.
- Audubon: readings and reports that agree; its one worksheet math finding acknowledged,
  so nothing blocks its sign-off.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from canvass.model import FieldReading
from canvass.settings import REPO_ROOT, Settings
from canvass.store.accounts import add_account
from canvass.store.decide import decide
from canvass.store.intake import ReportVersion, store_reports
from canvass.store.readings import record_reading
from canvass.store.review import claim, queue
from canvass.store.types import utcnow
from canvass.stories.reconcile import reconcile_election
from ingest.photos import Custody, intake_photo
from ingest.queue import read_queued
from ocr.read import default_reader
from tests.conftest import CANVASS, canvass_env
from tests.support.images import jpeg
from tests.support.intake import make_intake
from tests.support.iowa import CERTIFIED, IOWA
from tests.support.readings import reading_of, report_of

PHOTOS = REPO_ROOT / "fixtures" / "photos" / "small"
REAL_PHOTO = PHOTOS / "photo-00001.jpg"  # ADAIR-03SW
UPLOAD_PHOTO = PHOTOS / "photo-00005.jpg"  # CRAWFORD-DC-AB, uploaded by the tests
BLURRED_PHOTO = PHOTOS / "photo-00007.jpg"  # must be refused: too blurred
PASSWORD = "correct horse battery"
ACCOUNTS = {
    "chair": "uploader",
    "ann": "reviewer",
    "bob": "reviewer",
    "pat": "certifier",
    "admin": "admin",
}
SCOPES = {"pat": ["Adair", "Adams", "Audubon"]}  # what the county certifier may sign
MISMATCH_FIELD = "final.Sanders"  # ADAMS-AD1's app report says 10 more than the sheet
SCREENSHOTS = REPO_ROOT / "bench-out" / "screenshots"


@dataclass(frozen=True)
class SiteData:
    settings: Settings
    blind_precinct: str
    blind_field: str
    blind_value: int


def precincts_of(county: str) -> list[str]:
    return [p.id for p in IOWA.precincts if p.county == county]


def prepare_site(settings: Settings, real_photo: bool = True) -> SiteData:
    """The three counties, reconciled, and one account per role (two reviewers)."""
    intake = make_intake(settings)
    engine = intake.engine
    reports: list[ReportVersion] = []
    if real_photo:
        intake_photo(intake, REAL_PHOTO.read_bytes(), REAL_PHOTO.name, Custody("chair", "t"))
        read_queued(
            engine, IOWA.id, settings.photos_dir, settings.data_dir / "crops",
            default_reader(IOWA), workers=1,
        )  # fmt: skip
        transposed = report_of(CERTIFIED["ADAIR-03SW"].tally) | {"final.Sanders": 17}
        reports.append(ReportVersion("ADAIR-03SW", transposed, None))
    adams = precincts_of("Adams")
    blind_precinct = adams[2]
    tally = CERTIFIED[blind_precinct].tally
    blind_field, blind_value = next((f"final.{c}", v) for c, v in tally.final.items() if v >= 10)
    unreadable = FieldReading(value=None, confidence=0.4, status="unreadable")
    for i, precinct in enumerate([*adams, *precincts_of("Audubon")]):
        stored = intake_photo(
            intake, jpeg(seed=900 + i), f"{precinct}.jpg", Custody("chair", "t", precinct)
        )
        assert stored.photo_id is not None
        override = {blind_field: unreadable} if precinct == blind_precinct else {}
        reading = reading_of(CERTIFIED[precinct].tally, **override)
        record_reading(engine, stored.photo_id, IOWA.id, reading, None, utcnow())
        report = report_of(CERTIFIED[precinct].tally)
        if precinct == adams[0]:
            report = report | {MISMATCH_FIELD: report[MISMATCH_FIELD] + 10}
        reports.append(ReportVersion(precinct, report, None))
    store_reports(engine, IOWA.id, "app", "app.jsonl", "sha-web-tests", reports, utcnow())
    reconcile_election(engine, IOWA, utcnow())
    for item in queue(engine, IOWA.id, county="Audubon"):
        claim(engine, item.id, "ann", utcnow())
        decide(engine, item.id, "ann", "acknowledge", "seen; the sheet stands", utcnow())
    for username, role in ACCOUNTS.items():
        scopes = SCOPES.get(username)
        add_account(
            engine, username, PASSWORD, role, utcnow(), username.capitalize(), scopes=scopes
        )
    engine.dispose()
    return SiteData(settings, blind_precinct, blind_field, blind_value)


def truth_of(photo: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads(photo.with_suffix(".json").read_text())
    return data


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_server(settings: Settings, reader: bool = True) -> Iterator[str]:
    """`canvass serve` on a free port as a subprocess; yields its base URL."""
    port = free_port()
    command = [CANVASS, "serve", "--port", str(port), *([] if reader else ["--no-reader"])]
    log = (settings.data_dir / f"serve-{port}.log").open("w")
    process = subprocess.Popen(
        command, env=canvass_env(settings), stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        log.close()


def _wait_until_up(base: str, process: subprocess.Popen[bytes], timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"canvass serve exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"canvass serve did not answer at {base} within {timeout} s")
