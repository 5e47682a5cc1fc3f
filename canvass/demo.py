"""The main job: election night for a set of counties, end to end, on the configured database.

load Iowa 2020 -> photograph the worksheets (synthetic, filled with the certified numbers)
-> import the app's and the hotline's reports (with 2020's kinds of error injected) ->
ingest the photos -> read them on all cores -> reconcile -> the review queue.
Each step is the product's own code; the demo only supplies the inputs and checks that
every injected error reached the queue.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from canvass.demo_reports import DemoReports, InjectedError, make_reports
from canvass.elections.iowa2020 import build_iowa2020
from canvass.model import Election
from canvass.settings import Settings
from canvass.store.db import migrate, open_engine
from canvass.store.elections import save_election
from canvass.store.intake import ReportVersion, store_reports
from canvass.store.review import QueueItem, queue
from canvass.store.types import utcnow
from canvass.stories.reconcile import ReconcileSummary, reconcile_election
from canvass.synth.generate import MANIFEST, SynthConfig, generate_set, plan_jobs
from canvass.synth.sources import Unit, certified_units
from ingest.blobs import open_blob_store, sha256_of
from ingest.photos import Custody, Intake, intake_photo
from ingest.queue import ReadSummary, read_queued
from ingest.sniff import Limits
from ocr.read import default_reader

DEFAULT_COUNTIES = ("Adair", "Adams", "Story")
ProgressBar = Callable[[str], AbstractContextManager[Callable[[int, int], None]]]


@dataclass
class DemoResult:
    precincts: int
    photos: int
    stored: int
    read: ReadSummary | None = None
    reconciled: ReconcileSummary | None = None
    injected: list[InjectedError] = field(default_factory=list)
    missed: list[InjectedError] = field(default_factory=list)
    queue: list[QueueItem] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def run_demo(
    settings: Settings, counties: tuple[str, ...] | None, seed: int, bar: ProgressBar
) -> DemoResult:
    """The whole story; `counties` None means every precinct of the state."""
    clock = _Clock()
    engine, election = _setup(settings)
    units = [
        u
        for u in certified_units(settings.fixtures_dir, election)
        if counties is None or u[0].county in counties
    ]
    folder = settings.data_dir / "demo-photos" / f"seed-{seed}"
    with clock("photograph"), bar("photographing worksheets") as progress:
        _photograph(settings, election, units, folder, seed, progress)
    reports = make_reports([t for _, t in units], seed)
    with clock("import reports"):
        _import(engine, election, reports, seed)
    with clock("ingest"), bar("storing photos") as progress:
        stored = _ingest(settings, engine, election, folder, progress)
    with clock("read"), bar("reading photos") as progress:
        summary = read_queued(
            engine,
            election.id,
            open_blob_store(settings, "photos"),
            open_blob_store(settings, "crops"),
            default_reader(election),
            None,
            progress,
        )
    with clock("reconcile"), bar("reconciling") as progress:
        reconciled = reconcile_election(engine, election, utcnow(), progress=progress)
    items = queue(engine, election.id)
    result = DemoResult(len(units), len(units), stored, summary, reconciled, reports.injected)
    result.missed = missed_errors(reports.injected, items)
    result.queue = items
    result.seconds = clock.seconds
    return result


def _setup(settings: Settings) -> tuple[Engine, Election]:
    engine = open_engine(settings)
    migrate(engine)
    election = build_iowa2020(settings.fixtures_dir / "iowa2020")
    save_election(engine, election)
    return engine, election


def _photograph(
    settings: Settings,
    election: Election,
    units: list[Unit],
    folder: Path,
    seed: int,
    progress: Callable[[int, int], None],
) -> None:
    """Generate the set once per seed; a rerun of the demo reuses it."""
    if (folder / MANIFEST).exists():
        return
    config = SynthConfig(
        seed=seed,
        split="evaluate",
        digits_path=settings.fixtures_dir / "handwriting" / "digits.png",
    )
    generate_set(plan_jobs(units, None, seed, 0.0), config, election, folder, None, progress)


def _import(engine: Engine, election: Election, reports: DemoReports, seed: int) -> None:
    for source, by_precinct in (("app", reports.app), ("hotline", reports.hotline)):
        versions = [ReportVersion(p, dict(f), None) for p, f in sorted(by_precinct.items())]
        digest = sha256_of(json.dumps(sorted(by_precinct.items())).encode())
        store_reports(
            engine, election.id, source, f"demo-{source}-{seed}.jsonl", digest, versions, utcnow()
        )


def _ingest(
    settings: Settings,
    engine: Engine,
    election: Election,
    folder: Path,
    progress: Callable[[int, int], None],
) -> int:
    intake = Intake(
        engine,
        open_blob_store(settings, "photos"),
        election,
        Limits(settings.max_photo_bytes, settings.max_photo_pixels, settings.max_pdf_pages),
    )
    rows = [json.loads(line) for line in (folder / MANIFEST).read_text().splitlines()]
    stored = 0
    for done, row in enumerate(rows, start=1):
        photo = folder / row["photo"]
        custody = Custody("demo chair", "demo", row["precinct"])
        stored += intake_photo(intake, photo.read_bytes(), photo.name, custody).status == "stored"
        progress(done, len(rows))
    return stored


def missed_errors(injected: list[InjectedError], items: list[QueueItem]) -> list[InjectedError]:
    """Injected errors with no open review item on their precinct and fields."""
    open_fields: dict[str, set[str]] = {}
    kinds: dict[str, set[str]] = {}
    for item in items:
        open_fields.setdefault(item.precinct_id, set()).update(item.fields)
        kinds.setdefault(item.precinct_id, set()).add(item.kind)
    missed = []
    for error in injected:
        if error.kind == "missing":
            caught = "missing_report" in kinds.get(error.precinct, set())
        else:
            caught = bool(set(error.fields) & open_fields.get(error.precinct, set()))
        if not caught:
            missed.append(error)
    return missed


class _Clock:
    """Seconds per stage, for the summary."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.seconds[stage] = time.perf_counter() - started


def queue_by_kind(items: list[QueueItem]) -> Counter[str]:
    return Counter(i.kind for i in items)
