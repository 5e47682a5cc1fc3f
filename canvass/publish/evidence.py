"""Every number of a public export with the evidence that justifies it.

The numbers and their evidence are the evidence story's (`canvass.stories.evidence`: the
number as served, a certified county's as signed with the photo its sign-off lists; the
machine reading, each source's value, the decisions), for every precinct with a sheet.
Each number is justified the way results decide it (`reconcile.compare.paper_numbers`:
a decision, else the reading, else a report the paper verified), and the manifest says
which way:

- `decision`: people settled the field (a final `paper_says` or `confirm_reported`, the
  value equal), with every recorded decision on it (who, when, what, the value);
- `reading`: the machine read the field clearly (status `ok` or `blank`, the value equal);
- `report_verified`: the paper verified the report: the reading is not clear, nobody
  decided, and the number (determined, so not a silent 0) is the value every source
  gives: results take a report's value only when the reconciler cleared it.

A number nothing justifies is not published (null, `undetermined`), and a field waiting
for blind double entry is `withheld`: neither its reading nor any report's value appears
anywhere in the export. A certified number whose live evidence has moved on since the
sign-off (late evidence) is justified by the sign-off (`signed`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from canvass.model import Election
from canvass.store.certify import manifest_digest
from canvass.store.publication import PhotoBlob, photo_blobs
from canvass.store.signed import SignedRecord, signed_records
from canvass.stories.evidence import DecisionWords, FieldEvidence, precinct_evidence
from canvass.stories.results import ResultRow, served_results

SETTLED, PROVISIONAL, WITHHELD, UNDETERMINED = "settled", "provisional", "withheld", "undetermined"
NUMBER_ACTIONS = ("paper_says", "confirm_reported")
HasCrop = Callable[[str], bool]


@dataclass(frozen=True)
class Number:
    """One published number: `value` None when it is not published (withheld or not
    determined); `crop`: the field's crop's key in the crops store."""

    precinct: str
    county: str
    field: str
    label: str
    value: int | None
    status: str
    justification: dict[str, Any] | None
    photo: PhotoBlob | None
    crop: str | None

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


def gather(
    engine: Engine, election: Election, county: str | None, has_crop: HasCrop
) -> list[PrecinctNumbers]:
    """Per precinct with a sheet (of `county`, when given), its numbers and their evidence.
    `has_crop(key)` says whether the crops store holds that crop."""
    rows = served_results(engine, election, county)
    records = signed_records(engine, election.id, counties_only=True)
    fields = {
        r.precinct: precinct_evidence(engine, election, r.precinct, rows)
        for r in rows
        if r.backed_by == "paper"
    }
    ids = {f.photo_id for found in fields.values() for f in found if f.photo_id is not None}
    photos = photo_blobs(engine, ids)
    return [
        _precinct(row, fields[row.precinct], records.get(row.county), photos, has_crop)
        for row in rows
        if row.precinct in fields
    ]


def _precinct(
    row: ResultRow,
    fields: Sequence[FieldEvidence],
    record: SignedRecord | None,
    photos: dict[int, PhotoBlob],
    has_crop: HasCrop,
) -> PrecinctNumbers:
    numbers = tuple(_number(f, record, photos, has_crop) for f in fields)
    photo = next((n.photo for n in numbers if n.photo is not None), None)
    signed = None if record is None else f"{record.certifier}, {record.certified_at.isoformat()}"
    return PrecinctNumbers(row.precinct, row.county, row.name, signed, photo, numbers)


def _number(
    field: FieldEvidence,
    record: SignedRecord | None,
    photos: dict[int, PhotoBlob],
    has_crop: HasCrop,
) -> Number:
    """One number as published: its value only when it is shown and justified."""
    status = _status(field)
    why = None
    if status not in (WITHHELD, UNDETERMINED) and field.number is not None:
        why = _justify(field, field.number, record)
    if why is None:
        status = status if status == WITHHELD else UNDETERMINED
    photo = None if field.photo_id is None else photos.get(field.photo_id)
    crop = field.crop_key if field.crop_key and has_crop(field.crop_key) else None
    value = None if why is None else field.number
    return Number(
        field.precinct, field.county, field.key, field.label, value, status, why, photo, crop
    )


def _status(field: FieldEvidence) -> str:
    if field.withheld:
        return WITHHELD
    if field.undetermined or field.number is None:
        return UNDETERMINED
    return PROVISIONAL if field.provisional else SETTLED


def _justify(
    field: FieldEvidence, value: int, record: SignedRecord | None
) -> dict[str, Any] | None:
    """Why `value` is the number, in the order results decide it; a certified number the
    evidence no longer gives, the sign-off (only for a field the sheet holds: a number
    nobody read or decided is not published, signed or not). None: nothing justifies it."""
    made = [d for d in field.decisions if d.action in NUMBER_ACTIONS and d.value is not None]
    final = [d for d in made if d.final]
    if final and final[-1].value == value:
        return {"kind": "decision", "value": value, "decisions": [_decision(d) for d in made]}
    clear = field.machine_status in ("ok", "blank")
    if not final and clear:
        read = 0 if field.machine_status == "blank" else field.machine_value
        if read == value:
            return {"kind": "reading", "value": value, "reading": _reading(field)}
    if not final and not clear:
        reported = {r.source: r.value for r in field.reported if r.value is not None}
        if reported and set(reported.values()) == {value}:
            return {"kind": "report_verified", "value": value, "reports": reported}
    if record is not None and (field.machine_status is not None or final):
        return _signed(value, record)
    return None


def _decision(d: DecisionWords) -> dict[str, Any]:
    return {
        "item": d.item_id,
        "kind": d.item_kind,
        "reviewer": d.reviewer,
        "at": d.at.isoformat(),
        "action": d.action,
        "words": d.words,
        "value": d.value,
        "final": d.final,
    }


def _reading(field: FieldEvidence) -> dict[str, Any]:
    return {
        "status": field.machine_status,
        "value": field.machine_value,
        "confidence": field.machine_confidence,
    }


def _signed(value: int, record: SignedRecord) -> dict[str, Any]:
    return {
        "kind": "signed",
        "value": value,
        "certifier": record.certifier,
        "certified_at": record.certified_at.isoformat(),
        "signed_manifest": manifest_digest(record.manifest),
    }
