"""Filling a rendered worksheet by hand: real handwritten digits, written the way chairs do.

Numbers are right-aligned, one digit a box, with each writer's own size, slant, pen and
wobble; now and then a digit runs over its box border. Which zeros are written comes from
the form (`FormSpec.always_written`: header fields or whole columns): the caucus chairs
leave a zero count blank, as they do (a few writers put a "0" where the row is in use, i.e.
the group had members in the other alignment); the precinct results sheet has every
number written, zeros too (the officials copy the tabulator's tape, and the sheet says
"Write 0 for a line with no votes"). Sometimes a number is written wrong, struck through
and written again over it. Everything that happens is returned as ground truth, field by
field.

Digits come only from the one split of digits.png (or of Semeion's second population of
writers) the caller asks for, so evaluation photos never hold a sample the reader was
trained or calibrated on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from canvass.forms.spec import PRINTED, ColumnSum, FormSpec, parse_key
from canvass.handwriting import DigitSamples, Split, is_semeion, load_samples
from canvass.synth.pen import Pen, glyph, random_pen, stamp, stroke_mask
from canvass.worksheet.layout import Box, Field, WorksheetLayout
from canvass.worksheet.render import BOX_LINE

CROSS_OUT_RATE = 0.15  # sheets with one struck-through, rewritten number


@dataclass(frozen=True)
class DigitBank:
    """The samples of one split, indexed by the digit they show; `source` names the
    handwriting ("mnist" for digits.png, "semeion" for Semeion's CSV)."""

    split: Split
    samples: DigitSamples
    by_label: tuple[NDArray[np.int64], ...]
    source: str = "mnist"

    @classmethod
    def load(cls, path: Path, split: Split) -> DigitBank:
        """The split's samples from digits.png, or from Semeion's CSV (a second population
        of writers, outside NIST: `canvass.handwriting.load_semeion`)."""
        samples = load_samples(path, split)
        by_label = tuple(np.flatnonzero(samples.labels == d) for d in range(10))
        source = "semeion" if is_semeion(path) else "mnist"
        return cls(split=split, samples=samples, by_label=by_label, source=source)

    def pick(self, digit: int, rng: np.random.Generator) -> tuple[int, NDArray[np.uint8]]:
        """A random sample of `digit`: its id in its source and its image (20x20 for
        digits.png, 40x40 for Semeion)."""
        choices = self.by_label[digit]
        at = int(choices[int(rng.integers(len(choices)))])
        return int(self.samples.ids[at]), self.samples.images[at]


@dataclass(frozen=True)
class Writer:
    """One chair's hand: glyph height as a share of the box, position wobble (share of the
    box), slant in degrees, the chance a digit runs over its border, and the chance a zero
    count is written as "0" instead of being left blank."""

    pen: Pen
    size: float
    wobble: float
    slant: float
    cross_rate: float
    zero_rate: float


@dataclass
class FieldTruth:
    """What was written in one field, for the ground-truth file."""

    value: int
    text: str
    boxes: list[int]
    samples: list[int]
    crosses_border: bool = False
    crossed_out: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "text": self.text,
            "blank": not self.text,
            "boxes": self.boxes,
            "samples": self.samples,
            "crosses_border": self.crosses_border,
            "crossed_out": self.crossed_out,
        }


def random_writer(rng: np.random.Generator) -> Writer:
    return Writer(
        pen=random_pen(rng),
        size=float(rng.uniform(0.5, 0.78)),
        wobble=float(rng.uniform(0.02, 0.08)),
        slant=float(rng.normal(4.0, 6.0)),
        cross_rate=float(rng.choice([0.0, 0.02, 0.05, 0.1])),
        zero_rate=float(rng.choice([0.0, 0.0, 0.1, 0.5])),
    )


def fill_sheet(
    page: NDArray[np.uint8],
    layout: WorksheetLayout,
    values: dict[str, int],
    bank: DigitBank,
    rng: np.random.Generator,
    ticks: tuple[str, ...] = (),
) -> tuple[NDArray[np.uint8], dict[str, FieldTruth], Writer]:
    """Write `values` (field key -> number, in the order they are written) onto the
    greyscale `page` and tick the boxes `ticks`; returns the BGR sheet, the ground truth of
    every field in `values`, and the writer used."""
    sheet = np.asarray(cv2.cvtColor(page, cv2.COLOR_GRAY2BGR), np.uint8)
    writer = random_writer(rng)
    in_use = rows_in_use(layout.spec, values)
    texts = {
        key: _text_for(layout.spec, key, value, in_use, writer, rng)
        for key, value in values.items()
    }
    struck = _choose_cross_out(texts, {f.key for f in layout.satellite_fields}, rng)
    truth: dict[str, FieldTruth] = {}
    for key, value in values.items():
        field = layout.field(key)
        if key == struck:
            truth[key] = _write_corrected(sheet, field, value, texts[key], bank, writer, rng)
        else:
            truth[key] = _write_number(sheet, field, value, texts[key], bank, writer, rng)
    for key in ticks:
        _tick(sheet, layout.field(key).boxes[0], writer, rng)
    return sheet, truth, writer


def always_written(spec: FormSpec, key: str) -> bool:
    """The form has this number written even when it is 0: a header field or a column
    named in `spec.always_written`."""
    return key in spec.always_written or parse_key(key)[0] in spec.always_written


def rows_in_use(spec: FormSpec, values: dict[str, int]) -> set[str]:
    """The rows (candidates, ballot lines, the totals row) with a non-zero count of people
    or votes. A column whose sum is a number printed for the precinct (the caucus's county
    delegates, adding up to the delegates it elects) holds what the rules hand out, not
    members: a group awarded a delegate without members does not put its row in use."""
    handed_out = {
        s.column for s in spec.sums if isinstance(s, ColumnSum) and s.total.startswith(PRINTED)
    }
    used: set[str] = set()
    for key, value in values.items():
        row = spec.row_of(key)
        if value and row is not None and parse_key(key)[0] not in handed_out:
            used.add(row)
    return used


def _text_for(
    spec: FormSpec,
    key: str,
    value: int,
    in_use: set[str],
    writer: Writer,
    rng: np.random.Generator,
) -> str:
    """The characters written: "" (blank) for most zero counts the form does not ask for."""
    if value or always_written(spec, key):
        return str(value)
    if spec.row_of(key) in in_use:
        return "0" if rng.random() < writer.zero_rate else ""
    return ""


def _choose_cross_out(
    texts: dict[str, str], spared: set[str], rng: np.random.Generator
) -> str | None:
    """The one number written wrong and struck through, if any (never a satellite-only
    field)."""
    if rng.random() >= CROSS_OUT_RATE:
        return None
    candidates = sorted(k for k, t in texts.items() if t and k not in spared)
    return candidates[int(rng.integers(len(candidates)))] if candidates else None


def _write_number(
    sheet: NDArray[np.uint8],
    field: Field,
    value: int,
    text: str,
    bank: DigitBank,
    writer: Writer,
    rng: np.random.Generator,
    shrink: float = 1.0,
) -> FieldTruth:
    truth = FieldTruth(value=value, text=text, boxes=[], samples=[])
    n = len(field.boxes)
    for offset, char in enumerate(reversed(text)):
        index = n - 1 - offset
        box = _box_at(field, index)
        sample_id, tile = bank.pick(int(char), rng)
        ink = _write_digit(sheet, box, tile, writer, rng, shrink)
        truth.boxes.insert(0, index)
        truth.samples.insert(0, sample_id)
        truth.crosses_border |= index < 0 or _outside(ink, box)
    return truth


def _box_at(field: Field, index: int) -> Box:
    """The field's box `index`; negative indices continue to the left of the first box."""
    if index >= 0:
        return field.boxes[index]
    first = field.boxes[0]
    return Box(first.x + index * first.w, first.y, first.w, first.h)


def _write_digit(
    sheet: NDArray[np.uint8],
    box: Box,
    tile: NDArray[np.uint8],
    writer: Writer,
    rng: np.random.Generator,
    shrink: float,
) -> tuple[int, int, int, int] | None:
    height = box.h * writer.size * shrink * float(rng.uniform(0.9, 1.1))
    cx = box.x + box.w / 2 + rng.normal(0, writer.wobble) * box.w
    cy = box.y + box.h / 2 + rng.normal(0, writer.wobble) * box.h
    if rng.random() < writer.cross_rate:
        if rng.random() < 0.5:
            height *= float(rng.uniform(1.25, 1.45))
        else:
            angle = rng.uniform(0, 2 * np.pi)
            cx += np.cos(angle) * box.w * rng.uniform(0.25, 0.4)
            cy += np.sin(angle) * box.h * rng.uniform(0.25, 0.4)
    slant = writer.slant + float(rng.normal(0, 3))
    mask = glyph(tile, max(12, round(height)), writer.pen, slant, float(rng.normal(0, 3)))
    x, y = round(cx - mask.shape[1] / 2), round(cy - mask.shape[0] / 2)
    return stamp(sheet, mask, x, y, writer.pen.colour)


def _outside(ink: tuple[int, int, int, int] | None, box: Box) -> bool:
    """True when solid ink touches or crosses the box's printed border."""
    if ink is None:
        return False
    x0, y0, x1, y1 = ink
    inner = BOX_LINE
    return (
        x0 < box.x + inner
        or y0 < box.y + inner
        or x1 > box.x + box.w - inner
        or y1 > box.y + box.h - inner
    )


def _write_corrected(
    sheet: NDArray[np.uint8],
    field: Field,
    value: int,
    text: str,
    bank: DigitBank,
    writer: Writer,
    rng: np.random.Generator,
) -> FieldTruth:
    """A wrong number, struck through, and the right one written over it."""
    wrong = _wrong_text(value, len(field.boxes), rng)
    first = _write_number(sheet, field, int(wrong), wrong, bank, writer, rng)
    _strike(sheet, field, first.boxes, writer, rng)
    truth = _write_number(sheet, field, value, text, bank, writer, rng, shrink=0.85)
    truth.crossed_out = {"struck": wrong, "boxes": first.boxes, "samples": first.samples}
    truth.crosses_border |= first.crosses_border
    return truth


def _wrong_text(value: int, boxes: int, rng: np.random.Generator) -> str:
    text = str(value)
    if len(text) >= 2 and text[-1] != text[-2] and rng.random() < 0.5:
        return text[:-2] + text[-1] + text[-2]
    limit = 10**boxes - 1
    for _ in range(20):
        wrong = value + int(rng.choice([-1, 1])) * int(rng.integers(1, 10))
        if 0 <= wrong <= limit and wrong != value:
            return str(wrong)
    return str(value + 1 if value < limit else value - 1)


def _strike(
    sheet: NDArray[np.uint8],
    field: Field,
    used: list[int],
    writer: Writer,
    rng: np.random.Generator,
) -> None:
    left, right = _box_at(field, min(used)), _box_at(field, max(used))
    x0, x1 = left.x - 8.0, right.x + right.w + 8.0
    y_mid = left.y + left.h * float(rng.uniform(0.4, 0.6))
    tilt = left.h * float(rng.uniform(-0.25, 0.25))
    pad = 10
    top = int(min(y_mid - abs(tilt), left.y)) - pad
    origin_x = int(x0) - pad
    size = (int(left.h + 2 * abs(tilt)) + 2 * pad, int(x1 - x0) + 2 * pad)
    points = [(x0 - origin_x, y_mid + tilt - top), (x1 - origin_x, y_mid - tilt - top)]
    mask = stroke_mask(points, int(rng.integers(4, 8)), size)
    stamp(sheet, mask, origin_x, top, writer.pen.colour)


def _tick(sheet: NDArray[np.uint8], box: Box, writer: Writer, rng: np.random.Generator) -> None:
    pad = 10
    size = (box.h + 2 * pad, box.w + 2 * pad)
    jitter = rng.normal(0, 3, 6)
    points = [
        (pad + box.w * 0.18 + jitter[0], pad + box.h * 0.55 + jitter[1]),
        (pad + box.w * 0.42 + jitter[2], pad + box.h * 0.85 + jitter[3]),
        (pad + box.w * 0.9 + jitter[4], pad + box.h * 0.1 + jitter[5]),
    ]
    stamp(sheet, stroke_mask(points, 6, size), box.x - pad, box.y - pad, writer.pen.colour)
