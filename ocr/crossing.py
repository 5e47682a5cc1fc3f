"""Writing that crosses a field's outer border: seen outside the boxes, so the digit inside
may be cut, and its box must never be read with confidence.

The digit model only sees the inside of a box. A digit written across the comb's outer
edge (above, below, or past the first or last box) leaves ink in a band just outside.
That band also holds printed things: the neighbouring rows' digit boxes (rows are only
about 17 form px apart, closer than the band is wide), checkboxes, labels and row rules.
Looked at blindly, their borders, broken into dashes by blur and JPEG noise, passed for
writing on most photos of dim paper. So everything the layout prints there is masked out
first (each box, checkbox and label a few px larger than drawn, for the line width,
registration error and blur), and only dark ink left in the free space counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

import cv2
import numpy as np
from numpy.typing import NDArray

from canvass.worksheet.layout import Box, Field, WorksheetLayout
from ocr.page import LocatedSheet, cut_region

SCALE = 0.5  # pixels per form pixel for the check
BAND = 0.3  # of the box size, the band outside the comb that is looked at
GAP = 3  # form pixels next to the comb's printed border that are ignored (the line itself)
PRINTED_PAD = 5  # form pixels around any other printed box or label that are ignored
LINE = 21  # pixels (at SCALE): straight runs this long are printed lines, not writing
DARK = 0.55  # ink is darker than this share of the paper's brightness
MIN_INK = 8  # dark pixels (at SCALE) next to a box that mean writing crossed its edge


def comb_of(field: Field) -> Box:
    """The rectangle of a field's boxes."""
    first, last = field.boxes[0], field.boxes[-1]
    return Box(first.x, first.y, last.x + last.w - first.x, first.h)


def printed_near(layout: WorksheetLayout, field: Field, outer: Box) -> list[Box]:
    """Other printed boxes and labels that reach into `outer`, padded by PRINTED_PAD."""
    boxes, labels = print_around(layout, field, outer)
    return [grown(b, PRINTED_PAD) for b in boxes] + labels


def print_around(layout: WorksheetLayout, field: Field, outer: Box) -> tuple[list[Box], list[Box]]:
    """Other fields' boxes and checkboxes (as drawn) and the labels (padded by PRINTED_PAD)
    that, padded by PRINTED_PAD, reach into `outer`."""
    others: Iterable[Box] = (
        b for f in (*layout.fields, *layout.checkboxes) if f.key != field.key for b in f.boxes
    )
    boxes = [b for b in others if grown(b, PRINTED_PAD).overlaps(outer)]
    texts = (text_box(t.x, t.y, t.size, len(t.text), t.anchor) for t in layout.texts)
    labels = [g for g in (grown(t, PRINTED_PAD) for t in texts) if g.overlaps(outer)]
    return boxes, labels


def grown(box: Box, pad: float) -> Box:
    """`box` with `pad` form px more on every side (less when negative)."""
    p = round(pad)
    return Box(box.x - p, box.y - p, box.w + 2 * p, box.h + 2 * p)


def text_box(x: int, y: int, size: int, chars: int, anchor: str) -> Box:
    """A generous rectangle around a printed label (placeholders may print longer)."""
    width = int(size * 0.62 * max(chars, 12))
    left = x - width if anchor.startswith("r") else x - width // 2 if anchor[0] == "m" else x
    top = y - size // 2 if anchor[1:] == "m" else y - size // 4
    return Box(left, top, width, int(size * 1.5))


def outer_box(field: Field) -> Box:
    """The comb with the band around it."""
    comb = comb_of(field)
    pad = int(field.boxes[0].h * BAND)
    return Box(comb.x - pad, comb.y - pad, comb.w + 2 * pad, comb.h + 2 * pad)


@lru_cache(maxsize=4)
def masked_boxes(layout: WorksheetLayout) -> dict[str, list[Box]]:
    """Per field, what is ignored around it: its own comb (with GAP) and other printed
    things (computed once per layout)."""
    masks = {}
    for field in layout.fields:
        comb = comb_of(field)
        own = Box(comb.x - GAP, comb.y - GAP, comb.w + 2 * GAP, comb.h + 2 * GAP)
        masks[field.key] = [own, *printed_near(layout, field, outer_box(field))]
    return masks


def crossing_flags(sheet: LocatedSheet, layout: WorksheetLayout) -> list[bool]:
    """`crossing_boxes` for every box of every field, in layout order."""
    masks = masked_boxes(layout)
    return [flag for f in layout.fields for flag in crossing_boxes(sheet, f, masks[f.key])]


def crossing_boxes(sheet: LocatedSheet, field: Field, masked: Sequence[Box]) -> list[bool]:
    """For each box of `field`, whether dark ink sits just outside the comb next to it,
    ignoring the `masked` rectangles (`masked_boxes`)."""
    outer = outer_box(field)
    image = cut_region(sheet, outer, max(1, int(outer.w * SCALE)), max(1, int(outer.h * SCALE)))
    outside = _dark(image)
    for box in masked:
        x0, y0 = int((box.x - outer.x) * SCALE), int((box.y - outer.y) * SCALE)
        x1, y1 = int((box.x + box.w - outer.x) * SCALE), int((box.y + box.h - outer.y) * SCALE)
        outside[max(y0, 0) : max(y1, 0), max(x0, 0) : max(x1, 0)] = False
    flags = []
    for i, box in enumerate(field.boxes):
        x0 = 0 if i == 0 else int((box.x - outer.x) * SCALE)
        last = i == len(field.boxes) - 1
        x1 = outside.shape[1] if last else int((box.x + box.w - outer.x) * SCALE)
        flags.append(int(outside[:, x0:x1].sum()) >= MIN_INK)
    return flags


def _dark(image: NDArray[np.uint8]) -> NDArray[np.bool_]:
    """Dark pixels that are not part of a long horizontal printed line (a rule, or the
    comb's own border when registration is a few px off). Vertical runs are kept: the
    printed vertical lines near a comb are masked from the layout, and a pen's down
    stroke through the border (a 1, a 7's stem) is exactly what must be seen."""
    flat = image.ravel()
    k = int(0.9 * (flat.size - 1))
    paper = float(np.partition(flat, k)[k]) or 1.0
    ink = (image < DARK * paper).astype(np.uint8)
    across = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, LINE), np.uint8))
    lines = cv2.dilate(across, np.ones((3, 3), np.uint8))
    return np.asarray((ink > 0) & (lines == 0))
