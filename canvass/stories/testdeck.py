"""The logic-and-accuracy test deck's two stories, for the command line and the web alike.

`create_deck`: script a county's test sheets (`canvass.testdeck.script`), store the deck
and print it (`canvass.testdeck.printing`). `deck_report`: every test sheet read so far
against its script (`canvass.testdeck.compare`), per county and per sheet, with the
refused test photos and what the queue would have held. Test readings are read back from
the store's own place for them; nothing here reads or writes a precinct's paper, the
queue or a sign-off.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from canvass.errors import InputError, NotFoundError
from canvass.forms.registry import form_of
from canvass.model import Election
from canvass.store.testdeck import (
    DeckRefusal,
    NewSheet,
    StoredSheet,
    deck_readings,
    deck_refusals,
    deck_sheets,
    save_deck,
)
from canvass.testdeck.compare import FieldCheck, SheetCheck, check_sheet
from canvass.testdeck.printing import write_deck
from canvass.testdeck.script import coverage, plan_sheets, script_deck
from canvass.worksheet.layout import build_layout
from canvass.worksheet.render import check_output

MAX_SHEETS = 500
MAX_WRITERS = 100


@dataclass(frozen=True)
class DeckCreated:
    county: str
    deck_id: int
    sheets: list[StoredSheet]
    pages: int
    untested: dict[str, list[int]]

    def as_json(self) -> dict[str, Any]:
        return {
            "county": self.county,
            "deck": self.deck_id,
            "sheets": [
                {"code": s.code, "number": s.number, "precinct": s.precinct, "writer": s.writer}
                for s in self.sheets
            ],
            "pages": self.pages,
            "untested_digits": self.untested,
        }


def create_deck(
    engine: Engine,
    election: Election,
    county: str,
    out: Path,
    created_by: str,
    now: datetime,
    seed: int = 1,
    sheets: int | None = None,
    writers: tuple[str, ...] = (),
) -> DeckCreated:
    """Script, store and print a county's test deck: one sheet per precinct, or `sheets`
    going round them; `writers` take the sheets in turn."""
    check_output(out, (".pdf",))
    if not out.parent.is_dir():
        raise InputError(f"{out.parent} is not a folder: write the deck into an existing folder")
    precincts = [p for p in election.precincts if p.county.lower() == county.strip().lower()]
    if not precincts:
        raise NotFoundError(f"no county {county!r} in {election.id}: see `canvass precincts`")
    if sheets is not None and not 1 <= sheets <= MAX_SHEETS:
        raise InputError(f"--sheets {sheets}: a deck has 1 to {MAX_SHEETS} sheets")
    names = tuple(w.strip() for w in writers)
    if len(names) > MAX_WRITERS or any(not w or len(w) > 128 for w in names):
        raise InputError(f"writers: up to {MAX_WRITERS} names of 1 to 128 characters")
    layout = build_layout(election)
    scripted = script_deck(layout, plan_sheets(precincts, sheets, names), seed)
    name = precincts[0].county
    new = [NewSheet(s.number, s.precinct.id, s.writer, s.values) for s in scripted]
    stored = save_deck(engine, election.id, name, seed, created_by, now, new)
    pages = _write(election, stored, out)
    return DeckCreated(name, stored[0].deck_id, stored, pages, coverage(layout, scripted))


def print_deck(engine: Engine, election: Election, deck_id: int, out: Path) -> int:
    """Print a stored deck again (the same sheets, codes and scripts); the page count."""
    sheets = deck_sheets(engine, election.id, deck_id=deck_id)
    if not sheets:
        raise NotFoundError(f"no test deck {deck_id}: see the test deck page or print one")
    return _write(election, sheets, out)


def _write(election: Election, sheets: list[StoredSheet], out: Path) -> int:
    by_id = election.precinct_by_id
    return write_deck(
        election,
        build_layout(election),
        sheets[0].county,
        [(s.number, by_id[s.precinct], s.writer, s.code, s.values) for s in sheets],
        out,
    )


@dataclass(frozen=True)
class SheetResult:
    """One photo of one test sheet, judged against its script."""

    sheet: StoredSheet
    photo_id: int
    sha256: str
    crops_dir: str | None
    read_at: datetime
    check: SheetCheck

    def crop_key(self, key: str) -> str | None:
        return None if self.crops_dir is None else f"{self.crops_dir}/{key}.png"


@dataclass
class CountyReport:
    county: str
    sheets: list[StoredSheet] = field(default_factory=list)
    results: list[SheetResult] = field(default_factory=list)
    refusals: list[DeckRefusal] = field(default_factory=list)

    def totals(self) -> dict[str, Any]:
        fields = [f for r in self.results for f in r.check.fields]
        queue: Counter[str] = Counter()
        for r in self.results:
            queue.update(r.check.queue)
        return {
            "sheets_printed": len(self.sheets),
            "sheets_read": len({r.sheet.code for r in self.results}),
            "photos_read": len(self.results),
            "photos_refused": len(self.refusals),
            **_field_counts(fields),
            "queue": dict(sorted(queue.items())),
        }


@dataclass(frozen=True)
class DeckReport:
    counties: list[CountyReport]
    unknown: list[str]  # test codes read that no deck of this database printed

    def as_json(self, labels: dict[str, str]) -> dict[str, Any]:
        return {
            "counties": [
                {
                    "county": c.county,
                    **c.totals(),
                    "sheets": [_result_json(r, labels) for r in c.results],
                    "refusals": [_refusal_json(r) for r in c.refusals],
                }
                for c in self.counties
            ],
            "unknown_test_sheets": self.unknown,
        }


def deck_report(engine: Engine, election: Election, county: str | None = None) -> DeckReport:
    """Every county's (or one county's) test deck: each test photo read, against its
    script; the refused test photos with their reasons."""
    wanted = None if county is None else _county_name(election, county)
    counties: dict[str, CountyReport] = {}
    by_code: dict[str, StoredSheet] = {}
    for sheet in deck_sheets(engine, election.id, wanted):
        counties.setdefault(sheet.county, CountyReport(sheet.county)).sheets.append(sheet)
        by_code[sheet.code] = sheet
    unknown: list[str] = []
    for found in deck_readings(engine, election.id):
        known = by_code.get(found.code)
        if known is None:
            if wanted is None:
                unknown.append(found.code)
            continue
        check = check_sheet(election, known.precinct, known.values, found.reading)
        result = SheetResult(
            known, found.photo_id, found.sha256, found.crops_dir, found.read_at, check
        )
        counties[known.county].results.append(result)
    for refusal in deck_refusals(engine, election.id):
        place = election.precinct_by_id.get(refusal.declared_precinct or "")
        name = place.county if place is not None else ""
        if wanted is None or name == wanted:
            counties.setdefault(name, CountyReport(name)).refusals.append(refusal)
    return DeckReport(list(counties.values()), sorted(set(unknown)))


def crop_key_of_test_photo(engine: Engine, election: Election, photo_id: int, index: int) -> str:
    """The crops-store key of field `index` (its place in the script) of a test photo;
    NotFoundError when the photo is no test sheet's, or the sheet has no such field."""
    found = deck_readings(engine, election.id, photo_id)
    sheets = [] if not found else deck_sheets(engine, election.id, code=found[0].code)
    if not sheets:
        raise NotFoundError(f"photo {photo_id} is not the photo of a test sheet printed here")
    keys = list(sheets[0].values)
    if index >= len(keys) or found[0].crops_dir is None:
        raise NotFoundError(f"test sheet {sheets[0].code} has no crop number {index}")
    return f"{found[0].crops_dir}/{keys[index]}.png"


def field_labels(election: Election) -> dict[str, str]:
    """What a person calls each field of the election's form."""
    spec = form_of(election)
    keys = spec.number_keys(election.candidates)
    return {k: spec.label(k) for k in keys}


def _county_name(election: Election, county: str) -> str:
    for c in election.counties:
        if c.name.lower() == county.strip().lower():
            return c.name
    raise NotFoundError(f"no county {county!r} in {election.id}: see `canvass precincts`")


def _field_counts(fields: list[FieldCheck]) -> dict[str, int]:
    outcomes = Counter(f.outcome for f in fields)
    return {
        "fields": len(fields),
        "read": outcomes["right"] + outcomes["misread"],
        "right": outcomes["right"],
        "misread": outcomes["misread"],
        "unsure": outcomes["unsure"],
        "verified": sum(1 for f in fields if f.verified),
    }


def _result_json(r: SheetResult, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "code": r.sheet.code,
        "number": r.sheet.number,
        "precinct": r.sheet.precinct,
        "writer": r.sheet.writer,
        "photo": r.sha256,
        "read_at": r.read_at.isoformat(),
        **_field_counts(list(r.check.fields)),
        "queue": r.check.queue,
        "misreads": [_field_json(f, labels) for f in r.check.misreads],
        "unsure_fields": [_field_json(f, labels) for f in r.check.fields if f.outcome == "unsure"],
    }


def _field_json(f: FieldCheck, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "field": f.key,
        "label": labels.get(f.key, f.key),
        "scripted": f.scripted,
        "read": f.read,
        "status": f.status,
        "confidence": round(f.confidence, 4),
    }


def _refusal_json(r: DeckRefusal) -> dict[str, Any]:
    return {
        "photo": r.sha256,
        "reason": r.reason,
        "declared_precinct": r.declared_precinct,
        "uploader": r.uploader,
        "stored_at": r.stored_at.isoformat(),
    }
