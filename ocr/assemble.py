"""Per-box probabilities -> a field's value, confidence and status.

A field's confidence is the support of its likeliest value against every alternative
(`ocr.verify`), so the same number decides both "is this reading definite?" and "does the
image confirm a reported value?". The bands are chosen on calibration photos (see the
benchmark); a box that is not one clean digit (crossed out, two digits, across the border)
leaves probability mass on no digit at all, which lowers the support of every value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from canvass.model import FieldReading
from ocr.verify import BLANK, likeliest_value


@dataclass(frozen=True)
class Bands:
    """Confidence bands: at or above `ok` a reading is definite; at or above `uncertain`
    a person must confirm it; below, the field is unreadable. `blank` is the probability
    that every box is empty needed to call the field blank.

    `ok` was what the benchmark chose on its calibration photos for an earlier digit
    model (the lowest support with no wrong definite reading there): 0.999999. For the
    committed model, with PLACES decimals, it chooses 1 - 1.1e-7 (2026-12-06; see the
    README's benchmark), so this default lets through a little more than the benchmark
    would. At 0.9995 the demo showed three 2s read as 9s as definite, which reviewers would
    see as "paper says 9" and which fed a false worksheet-math finding."""

    ok: float = 0.999999
    uncertain: float = 0.6
    blank: float = 0.9995


def assemble_field(probabilities: NDArray[np.float64], bands: Bands) -> FieldReading:
    """`probabilities`: one row per box, left to right: P(blank), P(0), ..., P(9)."""
    boxes = _as_boxes(probabilities)
    all_blank = float(np.prod(probabilities[:, BLANK]))
    if all_blank >= bands.blank:
        return FieldReading(value=None, confidence=all_blank, status="blank", boxes=boxes)
    value, support = likeliest_value(boxes)
    if support >= bands.ok:
        return FieldReading(value=value, confidence=support, status="ok", boxes=boxes)
    if support >= bands.uncertain:
        return FieldReading(value=value, confidence=support, status="uncertain", boxes=boxes)
    return FieldReading(value=None, confidence=support, status="unreadable", boxes=boxes)


PLACES = 12
"""Decimal places a box's probabilities keep. Six were kept until issue 20, which rounded
every digit surer than 0.9999995 up to 1.0: a wrong reading at 1 - 1e-7 (a "21" read as
"71" on the calibration photos) then looked exactly like a right one at 1 - 1e-11, and no
band could part them. The digit model's own single-box threshold sits at 1 - 3.4e-11."""
DIGIT_CAP = 1.0 - 10.0**-PLACES
"""No written box is more certain of a digit than this: the rest stays on "not one clean
digit". So a field with writing never comes out at 1.0, whatever the network says of a box
unlike any it was trained on; only all-blank boxes can."""


def _as_boxes(probabilities: NDArray[np.float64]) -> tuple[tuple[float, ...], ...]:
    """The rows as stored: each digit's probability at most DIGIT_CAP, PLACES decimals."""
    rows = []
    for row in probabilities:
        digits = (min(float(p), DIGIT_CAP) for p in row[BLANK + 1 :])
        rows.append((round(float(row[BLANK]), PLACES), *(round(p, PLACES) for p in digits)))
    return tuple(rows)


def stack(rows: Sequence[Sequence[float]]) -> NDArray[np.float64]:
    return np.asarray(rows, np.float64)
