"""The main job: election night for a set of counties, end to end, on the configured database.

load the election (Iowa 2020's caucuses, or the election an election file names) ->
photograph its sheets (synthetic, filled with the real numbers) -> import the app's and the
hotline's reports (with 2020's kinds of error injected) -> ingest the photos -> read them on
all cores -> reconcile -> the review queue. Each step is the product's own code; the demo
only supplies the inputs and checks that every injected error reached the queue.

The real numbers are the built-in data set of the election's id
(`canvass.synth.sources.units_for`): the certified 2020 caucus results for `iowa-dem-2020`,
the 2020 general election's precinct results (President) for `iowa-2020-general`. An
election file naming any other election is refused: the demo has no numbers to write on
its sheets.
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
from canvass.elections.fileformat import load_election_file
from canvass.elections.iowa2020 import ELECTION_ID, build_iowa2020
from canvass.elections.iowa2020_general import GENERAL_ID
from canvass.errors import InputError
from canvass.forms.registry import form_of, rules_of
from canvass.model import Election
from canvass.settings import Settings
from canvass.store.db import migrate, open_engine
from canvass.store.elections import save_election
from canvass.store.intake import ReportVersion, store_reports
from canvass.store.review import QueueItem, queue
from canvass.store.types import utcnow
from canvass.stories.reconcile import ReconcileSummary, reconcile_election
from canvass.synth.generate import MANIFEST, SynthConfig, generate_set, plan_jobs
from canvass.synth.sources import Unit, units_for
from ingest.blobs import open_blob_store, sha256_of
from ingest.photos import Custody, Intake, intake_photo
from ingest.queue import ReadSummary, read_queued
from ingest.sniff import Limits
from ocr.read import default_reader

DEFAULT_COUNTIES = ("Adair", "Adams", "Story")
"""The caucus demo's counties: 53 precincts. The general election's default is the same three
counties, 53 precincts there too (5 + 5 + 43)."""
DEFAULTS = {ELECTION_ID: DEFAULT_COUNTIES, GENERAL_ID: DEFAULT_COUNTIES}
ProgressBar = Callable[[str], AbstractContextManager[Callable[[int, int], None]]]


def default_counties(election: Election) -> tuple[str, ...] | None:
    """The counties the demo runs when none are named (None: every precinct)."""
    return DEFAULTS.get(election.id)


def demo_election(settings: Settings, election_file: Path | None = None) -> Election:
    """The election the demo runs: the file's, or the built-in Iowa 2020 caucuses."""
    if election_file is not None:
        return load_election_file(election_file)
    return build_iowa2020(settings.fixtures_dir / "iowa2020")


@dataclass
class DemoResult:
    election: str
    counties: tuple[str, ...] | None
    precincts: int
    photos: int
    stored: int
    read: ReadSummary | None = None
    reconciled: ReconcileSummary | None = None
    injected: list[InjectedError] = field(default_factory=list)
    missed: list[InjectedError] = field(default_factory=list)
    queue: list[QueueItem] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    effect_unit: str = "SDE"
    """What the queue's order weighs: SDE under delegate rules, votes under a vote count."""


def run_demo(
    settings: Settings,
    counties: tuple[str, ...] | None,
    seed: int,
    bar: ProgressBar,
    election_file: Path | None = None,
) -> DemoResult:
    """The whole story on the built-in caucuses or the election `election_file` names;
    `counties` None means every precinct, () the election's default counties."""
    clock = _Clock()
    election = demo_election(settings, election_file)
    if counties == ():
        counties = default_counties(election)
    units = demo_units(settings, election, counties)
    engine = _setup(settings, election)
    folder = settings.data_dir / "demo-photos" / election.id / f"seed-{seed}"
    if election.id == ELECTION_ID:
        folder = settings.data_dir / "demo-photos" / f"seed-{seed}"  # where it always was
    with clock("photograph"), bar("photographing sheets") as progress:
        _photograph(settings, election, units, folder, seed, progress)
    reports = make_reports([n for _, n in units], form_of(election), election.candidates, seed)
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
    result = DemoResult(
        election.name,
        counties,
        len(units),
        len(units),
        stored,
        summary,
        reconciled,
        reports.injected,
    )
    result.missed = missed_errors(reports.injected, items)
    result.queue = items
    result.seconds = clock.seconds
    result.effect_unit = "SDE" if rules_of(election).allocates == "delegates" else "votes"
    return result


def demo_units(
    settings: Settings, election: Election, counties: tuple[str, ...] | None
) -> list[Unit]:
    """The precincts of `counties` (None: all) with the real numbers of their sheets;
    InputError for an unknown county or an election with no built-in numbers."""
    unknown = [c for c in counties or () if c not in election.county_by_name]
    if unknown:
        raise InputError(
            f"{election.name} has no county {', '.join(map(repr, unknown))}: "
            "see `canvass precincts` after `canvass init` for its counties"
        )
    try:
        units = units_for(election, settings.fixtures_dir)
    except InputError as exc:
        raise InputError(
            f"canvass demo writes the real numbers of an election on its sheets, and has them "
            f"for {ELECTION_ID} (the built-in caucuses) and {GENERAL_ID} "
            f"(fixtures/elections/iowa2020-general.json) only, not for {election.id!r} ({exc}). "
            "Run the demo on one of those; for your own election, load it with `canvass "
            "init --election FILE`, then `canvass synth photos --tallies NUMBERS` (or real "
            "photos), `canvass ingest PHOTOS`, `canvass reports import` and `canvass reconcile`"
        ) from None
    return [u for u in units if counties is None or u[0].county in counties]


def _setup(settings: Settings, election: Election) -> Engine:
    engine = open_engine(settings)
    migrate(engine)
    save_election(engine, election)
    return engine


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
