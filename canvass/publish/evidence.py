"""Every number of a public export with the evidence that justifies it.

The numbers are the ones everyone is shown (`canvass.stories.results.served_results`: a
certified county's as signed, the others live), for every precinct with a sheet. Each is
justified the way results decide it (`reconcile.compare.paper_numbers`), and the manifest
says which way:

- `decision`: people settled the field (a final `paper_says` or `confirm_reported`, the
  value equal), with every recorded decision on it (who, when, what, the value);
- `reading`: the machine read the field clearly (status `ok` or `blank`, the value equal);
- `report_verified`: the paper verified the report (the reconciler cleared the field,
  every source giving the value).

A number nothing justifies is not published (null, `undetermined`), and a field waiting
for blind double entry is `withheld`: neither its reading nor any report's value appears
anywhere in the export. A certified number whose live evidence has moved on since the
sign-off (late evidence) is justified by the sign-off (`signed`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from canvass.forms.registry import form_of
from canvass.forms.spec import parse_key
from canvass.model import Election, FieldReading
from canvass.store.certify import manifest_digest
from canvass.store.decide import decided_values
from canvass.store.intake import reports_by_precinct
from canvass.store.publication import FieldDecision, PhotoBlob, field_decisions, photo_blobs
from canvass.store.readings import StoredReading, paper_of, readings_in_force
from canvass.store.signed import SignedRecord, signed_records
from canvass.store.views import withheld_fields
from canvass.stories.results import ResultRow, served_results
from reconcile.compare import PrecinctResult, reconcile_precinct

SETTLED, PROVISIONAL, WITHHELD, UNDETERMINED = "settled", "provisional", "withheld", "undetermined"


@dataclass(frozen=True)
class Number:
    """One published number: `value` None when it is not published (withheld or not
    determined); `crop`: the field's crop as the reader stored it (photo id, field key)."""

    precinct: str
    county: str
    field: str
    label: str
    value: int | None
    status: str
    justification: dict[str, Any] | None
    photo: PhotoBlob | None
    crop: tuple[int, str] | None

    @property
    def id(self) -> str:
        return f"{self.precinct}|{self.field}"


@dataclass(frozen=True)
class PrecinctNumbers:
    precinct: str
    county: str
    name: str
    certified: str | None  # who signed, when; None: live
    photo: PhotoBlob | None
    numbers: tuple[Number, ...]


@dataclass(frozen=True)
class _Context:
    election: Election
    papers: dict[str, StoredReading]
    decided: dict[str, dict[str, int]]
    decisions: dict[tuple[str, str], list[FieldDecision]]
    reports: dict[str, dict[str, dict[str, int | float]]]
    photos: dict[int, PhotoBlob]
    signed: dict[str, SignedRecord]


def gather(
    engine: Engine, election: Election, county: str | None, has_crop: Any
) -> list[PrecinctNumbers]:
    """Per precinct with a sheet (of `county`, when given), its numbers and their evidence.
    `has_crop(photo_id, key)` says whether the reader stored the field's crop."""
    papers = readings_in_force(engine, election.id)
    context = _Context(
        election,
        papers,
        decided_values(engine, election.id),
        field_decisions(engine, election.id),
        reports_by_precinct(engine, election.id),
        photo_blobs(engine, {s.photo_id for s in papers.values()}),
        signed_records(engine, election.id, counties_only=True),
    )
    rows = [r for r in served_results(engine, election, county) if r.backed_by == "paper"]
    return [_precinct(engine, context, row, has_crop) for row in rows]


@dataclass(frozen=True)
class _Sheet:
    """One precinct's row as served and the live evidence behind it."""

    row: ResultRow
    stored: StoredReading | None
    result: PrecinctResult | None
    record: SignedRecord | None
    withheld: set[str]


def _precinct(engine: Engine, context: _Context, row: ResultRow, has_crop: Any) -> PrecinctNumbers:
    election, stored = context.election, context.papers.get(row.precinct)
    result = None
    if stored is not None:
        reports = context.reports.get(row.precinct, {})
        decided = context.decided.get(row.precinct)
        result = reconcile_precinct(election, row.precinct, paper_of(stored), reports, decided)
    record = context.signed.get(row.county)
    withheld = withheld_fields(engine, election.id, row.precinct)
    sheet = _Sheet(row, stored, result, record, withheld)
    keys = form_of(election).reported_keys(election.candidates)
    numbers = tuple(_number(context, sheet, key, has_crop) for key in keys)
    photo = None if stored is None else context.photos.get(stored.photo_id)
    signed = None if record is None else f"{record.certifier}, {record.certified_at.isoformat()}"
    return PrecinctNumbers(row.precinct, row.county, row.name, signed, photo, numbers)


def _number(context: _Context, sheet: _Sheet, key: str, has_crop: Any) -> Number:
    """One number as published: its value only when it is shown and justified."""
    row, stored = sheet.row, sheet.stored
    reading = None if stored is None else stored.reading.fields.get(key)
    crop = None
    if stored is not None and stored.crops_dir and has_crop(stored.photo_id, key):
        crop = (stored.photo_id, key)
    photo = None if stored is None else context.photos.get(stored.photo_id)
    status = _status(row, key, sheet.withheld)
    why = None
    if status not in (WITHHELD, UNDETERMINED):
        why = _justify(context, sheet, key, row.values.get(key, 0), reading)
        status = UNDETERMINED if why is None else status
    shown = None if why is None else row.values.get(key, 0)
    label = form_of(context.election).label(key)
    return Number(row.precinct, row.county, key, label, shown, status, why, photo, crop)


def _status(row: ResultRow, key: str, withheld: set[str]) -> str:
    if key in withheld:
        return WITHHELD
    if key in row.undetermined:
        return UNDETERMINED
    return PROVISIONAL if key in row.provisional else SETTLED


def _justify(
    context: _Context, sheet: _Sheet, key: str, value: int, reading: FieldReading | None
) -> dict[str, Any] | None:
    """Why `value` is the number: a decision, the reading, or a report the paper verified
    (in the order results decide it); a certified number the live evidence no longer
    gives, the sign-off (only for a field the sheet holds: a number nobody read or
    decided is not published, signed or not). None: nothing justifies it."""
    row, result, record = sheet.row, sheet.result, sheet.record
    decided = context.decided.get(row.precinct, {})
    if key in decided and decided[key] == value:
        made = context.decisions.get((row.precinct, key), [])
        return {"kind": "decision", "value": value, "decisions": [d.as_json() for d in made]}
    if key not in decided and reading is not None and reading.status in ("ok", "blank"):
        read = 0 if reading.status == "blank" else reading.value
        if read == value:
            return {"kind": "reading", "value": value, "reading": _reading_json(reading)}
    if result is not None and key in result.cleared:
        reported = _reported(context.reports.get(row.precinct, {}), key)
        if reported and set(reported.values()) == {value}:
            shown = None if reading is None else _reading_json(reading)
            return {
                "kind": "report_verified",
                "value": value,
                "reports": reported,
                "reading": shown,
            }
    if record is not None and (reading is not None or key in decided):
        return {
            "kind": "signed",
            "value": value,
            "certifier": record.certifier,
            "certified_at": record.certified_at.isoformat(),
            "signed_manifest": manifest_digest(record.manifest),
        }
    return None


def _reading_json(reading: FieldReading) -> dict[str, Any]:
    return {
        "status": reading.status,
        "value": reading.value,
        "confidence": round(reading.confidence, 4),
    }


def _reported(by_source: dict[str, dict[str, int | float]], key: str) -> dict[str, int]:
    """Each source's value for `key`, as the reconciler compares them: a source that
    reports the key's column counts its unlisted rows as 0."""
    column, line = parse_key(key)
    found: dict[str, int] = {}
    for source, fields in sorted(by_source.items()):
        if key in fields:
            found[source] = int(fields[key])
        elif line and any(parse_key(k)[0] == column and parse_key(k)[1] for k in fields):
            found[source] = 0
    return found
