"""How the reader does on a county's logic-and-accuracy test deck, measured the way a
county would run it: `python -m bench.testdeck --county Adair --sheets 10`.

On a fresh SQLite database in `--work`, the deck is scripted, stored and printed
(`canvass.stories.testdeck.create_deck`); each test worksheet is filled by its own
synthetic writer (handwriting from the `evaluate` samples, never the model's `train`
ones) and photographed like a phone (`canvass.synth`); the photos go through intake as
test photos and are read by the real reader on all cores; then the report
(`deck_report`) prints a table per sheet and the deck's totals, and `--json FILE` keeps
them. Same seed, same photos, same figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from canvass.elections.iowa2020 import build_iowa2020
from canvass.settings import BUILTIN_DATA, Settings
from canvass.store.db import migrate, open_engine
from canvass.store.elections import save_election
from canvass.store.tables import TEST_SOURCE
from canvass.store.types import utcnow
from canvass.stories.testdeck import create_deck, deck_report, field_labels
from canvass.synth.camera import photograph
from canvass.synth.fill import DigitBank, fill_sheet
from canvass.synth.generate import digit_region
from canvass.worksheet.layout import build_layout
from canvass.worksheet.render import WorksheetRenderer
from ingest.blobs import LocalBlobStore
from ingest.photos import Custody, Intake, intake_photo
from ingest.queue import read_queued
from ingest.sniff import Limits
from ocr.read import default_reader

PHONE = (2448, 3264)
COLUMNS = ("fields", "read", "right", "misread", "unsure", "verified")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--county", default="Adair")
    parser.add_argument("--sheets", type=int, default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=Path("bench-out/testdeck"))
    parser.add_argument("--json", type=Path, default=None, dest="json_out")
    args = parser.parse_args()
    started = time.monotonic()
    shutil.rmtree(args.work, ignore_errors=True)
    settings = Settings(data_dir=args.work / "data")
    election = build_iowa2020(BUILTIN_DATA / "iowa2020")
    engine = open_engine(settings)
    migrate(engine)
    save_election(engine, election)
    made = create_deck(
        engine, election, args.county, args.work / "deck.pdf", "bench", utcnow(),
        seed=args.seed, sheets=args.sheets,
    )  # fmt: skip
    layout = build_layout(election)
    renderer = WorksheetRenderer(layout, election)
    bank = DigitBank.load(BUILTIN_DATA / "handwriting" / "digits.png", "evaluate")
    limits = Limits(settings.max_photo_bytes, settings.max_photo_pixels, settings.max_pdf_pages)
    intake = Intake(engine, LocalBlobStore(settings.photos_dir), election, limits)
    for sheet in made.sheets:
        rng = np.random.default_rng([args.seed, sheet.number])
        page = renderer.render_array(election.precinct_by_id[sheet.precinct], test=sheet.code)
        values = {k: v for k, v in sheet.values.items() if v is not None}
        filled, _, _ = fill_sheet(page, layout, values, bank, rng)
        jpeg = photograph(filled, "ok", PHONE, rng, digit_region(layout)).jpeg
        intake_photo(intake, jpeg, f"{sheet.code}.jpg", Custody("bench", TEST_SOURCE))
    made_at = time.monotonic()
    read_queued(
        engine, election.id, settings.photos_dir, settings.data_dir / "crops",
        default_reader(election), workers=os.cpu_count(),
    )  # fmt: skip
    found = deck_report(engine, election, args.county).as_json(field_labels(election))
    found["seconds"] = {
        "deck_and_photos": round(made_at - started, 1),
        "reading": round(time.monotonic() - made_at, 1),
    }
    found["untested_digits"] = made.untested
    _print(found)
    if args.json_out:
        args.json_out.write_text(json.dumps(found, indent=1) + "\n", encoding="utf-8")


def _print(found: dict[str, object]) -> None:
    console = Console(width=160)
    for county in found["counties"]:  # type: ignore[attr-defined]
        table = Table("sheet", "precinct", *COLUMNS, "queue would hold", title=county["county"])
        for s in county["sheets"]:
            queue = ", ".join(f"{n} {k}" for k, n in s["queue"].items())
            table.add_row(s["code"], s["precinct"], *(str(s[c]) for c in COLUMNS), queue)
        queue = ", ".join(f"{n} {k}" for k, n in county["queue"].items())
        table.add_row("all", "", *(str(county[c]) for c in COLUMNS), queue, style="bold")
        console.print(table)
        for s in county["sheets"]:
            for m in s["misreads"]:
                console.print(f"misread {s['code']} {m['label']}: {m['scripted']} read {m['read']}")
    console.print(f"seconds: {found['seconds']}")


if __name__ == "__main__":
    main()
