"""The stages the whole-state benchmark times, each the product's own code on a fresh
data directory: the same calls `canvass init`, `ingest`, `read-queued`, `reports import`
and `reconcile` make, without the command line's start-up."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func, select

from bench.common import Clock, PhotoEntry
from bench.profile_read import profile_reading
from canvass.demo_reports import make_reports
from canvass.elections.iowa2020 import build_iowa2020
from canvass.errors import InputError
from canvass.forms.registry import form_of
from canvass.model import Election
from canvass.settings import Settings
from canvass.store.db import migrate, open_engine
from canvass.store.elections import save_election
from canvass.store.intake import ReportVersion, store_reports
from canvass.store.readings import queued_photos
from canvass.store.tables import PhotoRow
from canvass.store.types import utcnow
from canvass.stories.reconcile import reconcile_election
from canvass.synth.sources import certified_units
from ingest.blobs import open_blob_store, sha256_of
from ingest.photos import Custody, Intake, intake_photo
from ingest.queue import ReadSummary, read_photos, read_queued, reader_pool
from ingest.sniff import Limits
from ocr.read import default_reader


@dataclass
class StateRun:
    """One run over `photos`; `results` collects what each stage reports."""

    settings: Settings
    photos: list[PhotoEntry]
    seed: int
    workers: int
    overlap: bool = False
    reconcile_workers: int = 1
    results: dict[str, Any] = field(default_factory=dict)

    def run_all(self) -> Clock:
        clock = Clock()
        with clock("init"):
            engine, election = self._init()
        if self.overlap:
            with clock("ingest + read (overlapped)"):
                summary = self._ingest_while_reading(engine, election)
        else:
            with clock("ingest"):
                self._ingest(engine, election)
            with clock("read"):
                summary = read_queued(
                    engine,
                    election.id,
                    open_blob_store(self.settings),
                    open_blob_store(self.settings, "crops"),
                    default_reader(election),
                    self.workers,
                )
        self.results["read"] = summary.as_json()
        with clock("reports import"):
            self._import_reports(engine, election)
        with clock("reconcile"):
            reconciled = reconcile_election(
                engine, election, utcnow(), workers=self.reconcile_workers
            )
            self.results["reconcile"] = reconciled.as_json()
        self._election = election
        return clock

    def profile(self, count: int) -> dict[str, Any]:
        sample = [p.path for p in self.photos[: max(1, count)]]
        return profile_reading(self._election, sample).as_json()

    def _init(self) -> tuple[Engine, Election]:
        engine = open_engine(self.settings)
        migrate(engine)
        election = build_iowa2020(self.settings.fixtures_dir / "iowa2020")
        save_election(engine, election)
        with engine.connect() as connection:
            stored = connection.execute(select(func.count()).select_from(PhotoRow)).scalar_one()
        if stored:
            raise InputError("the database already holds photos: give an empty database")
        return engine, election

    def _ingest_while_reading(self, engine: Engine, election: Election) -> ReadSummary:
        """Election night: photos arrive while the readers work. Intake runs in a thread
        (as uploads do in the server) and the readers (all cores) take whatever is queued,
        as `canvass worker` does, until intake is done and nothing is left."""
        started = time.perf_counter()
        failure: list[BaseException] = []

        def intake() -> None:
            try:
                self._ingest(engine, election)
            except BaseException as exc:  # handed to the main thread, raised there
                failure.append(exc)
            self.results["ingest_seconds"] = round(time.perf_counter() - started, 2)

        feeder = threading.Thread(target=intake, name="bench-intake")
        feeder.start()
        totals = {"read": 0, "rejected": 0, "failed": 0}
        blobs, crops = open_blob_store(self.settings), open_blob_store(self.settings, "crops")
        reader = default_reader(election)
        with reader_pool(self.workers) as pool:
            while True:
                arriving = feeder.is_alive()
                ids = [p.id for p in queued_photos(engine, election.id)]
                if not ids and not arriving:
                    break
                if not ids:
                    time.sleep(0.05)
                    continue
                got = read_photos(
                    engine, election.id, ids, blobs, crops, reader, self.workers, pool=pool
                )
                for key, value in got.as_json().items():
                    totals[key] += value
        feeder.join()
        if failure:
            raise failure[0]
        return ReadSummary(**totals)

    def _ingest(self, engine: Engine, election: Election) -> None:
        s = self.settings
        intake = Intake(
            engine,
            open_blob_store(s),
            election,
            Limits(s.max_photo_bytes, s.max_photo_pixels, s.max_pdf_pages),
        )
        outcomes: dict[str, int] = {}
        for photo in self.photos:
            custody = Custody("bench", "bench", photo.precinct)
            result = intake_photo(intake, photo.path.read_bytes(), photo.path.name, custody)
            outcomes[result.status] = outcomes.get(result.status, 0) + 1
        self.results["ingest"] = outcomes

    def _import_reports(self, engine: Engine, election: Election) -> None:
        """The demo's app and hotline reports (with 2020's error kinds) for these precincts."""
        wanted = {p.precinct for p in self.photos}
        sheets = [n for _, n in certified_units(self.settings.fixtures_dir, election)]
        wanted_sheets = [n for n in sheets if n.precinct in wanted]
        reports = make_reports(wanted_sheets, form_of(election), election.candidates, self.seed)
        stored = 0
        for source, by_precinct in (("app", reports.app), ("hotline", reports.hotline)):
            versions = [ReportVersion(p, dict(f), None) for p, f in sorted(by_precinct.items())]
            digest = sha256_of(json.dumps(sorted(by_precinct.items())).encode())
            name = f"bench-{source}-{self.seed}.jsonl"
            stored += store_reports(engine, election.id, source, name, digest, versions, utcnow())
        self.results["reports"] = {"versions": stored, "injected_errors": len(reports.injected)}
