"""Sheet readings and app reports built from the certified 2020 numbers, as if the reader
and the app had seen the real worksheets; and a fake reader for the queue."""

from __future__ import annotations

import io

from PIL import Image

from canvass.model import FieldReading, ReadOutcome, SheetReading, Tally
from reconcile.compare import field_keys
from tests.support.iowa import CERTIFIED, IOWA


def confident_field(value: int, boxes: int, sure: float = 0.99999) -> FieldReading:
    """A field read with near certainty: right-aligned digits, leading boxes blank."""
    text = str(value).rjust(boxes) if value else " " * boxes
    probs = []
    for ch in text:
        index = 0 if ch == " " else int(ch) + 1
        probs.append(tuple(sure if k == index else (1 - sure) / 10 for k in range(11)))
    status = "blank" if value == 0 else "ok"
    return FieldReading(value=value or None, confidence=sure, status=status, boxes=tuple(probs))


def shaky(value: int, boxes: int, sure: float) -> FieldReading:
    return confident_field(value, boxes, sure=sure).model_copy(update={"status": "uncertain"})


def reading_of(tally: Tally, **override: FieldReading) -> SheetReading:
    fields: dict[str, FieldReading] = {}
    for key in field_keys(IOWA):
        measure, _, candidate = key.partition(".")
        if key == "viability_threshold":
            continue
        value = (
            getattr(tally, measure)
            if not candidate
            else (getattr(tally, measure) or {}).get(candidate, 0)
        )
        fields[key] = confident_field(int(value or 0), 2 if measure == "county_delegates" else 4)
    fields.update(override)
    return SheetReading(status="read", precinct=tally.precinct, form="test", fields=fields)


def report_of(tally: Tally) -> dict[str, float]:
    fields: dict[str, float] = {"attendees": tally.attendees}
    for measure in ("first", "final", "county_delegates"):
        for candidate, value in (getattr(tally, measure) or {}).items():
            fields[f"{measure}.{candidate}"] = value
    return fields


PRECINCT = "BENTON-BG"  # 44 attendees, 9 delegates, five viable groups, a clean sheet
TALLY = CERTIFIED[PRECINCT].tally


def fake_reader(data: bytes) -> ReadOutcome:
    """Reads the precinct from the image width (a stand-in for the QR code)."""
    width = Image.open(io.BytesIO(data)).size[0]
    if width < 200:
        return ReadOutcome(SheetReading(status="rejected", reason="too small: retake it"), {})
    if width == 666:
        raise RuntimeError("reader bug")
    precinct = "POLK-ANK-01" if width < 700 else "POLK-ANK-02"
    field = FieldReading(value=width, confidence=0.99, status="ok")
    reading = SheetReading(
        status="read", precinct=precinct, form="test", fields={"attendees": field}
    )
    return ReadOutcome(reading, {"attendees.png": b"png-bytes"})
