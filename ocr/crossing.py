"""Writing that crosses a field's outer border: seen outside the boxes, so the digit inside
may be cut, and its box must never be read with confidence.

The digit model only sees the inside of a box. A digit written across the comb's outer
edge (above, below, or past the first or last box) leaves ink in a band just outside;
row separators are printed light grey, so only dark ink counts there.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from canvass.worksheet.layout import Box, Field
from ocr.page import LocatedSheet, cut_region

SCALE = 0.5  # pixels per form pixel for the check
BAND = 0.3  # of the box size, the band outside the comb that is looked at
GAP = 3  # form pixels next to the printed border that are ignored (the line itself)
LINE = 21  # pixels (at SCALE): straight runs this long are printed lines, not writing
DARK = 0.55  # ink is darker than this share of the paper's brightness
MIN_INK = 12  # dark pixels (at SCALE) next to a box that mean writing crossed its edge


def crossing_boxes(sheet: LocatedSheet, field: Field) -> list[bool]:
    """For each box of `field`, whether dark ink sits just outside the comb next to it."""
    first, last = field.boxes[0], field.boxes[-1]
    comb = Box(first.x, first.y, last.x + last.w - first.x, first.h)
    pad = int(first.h * BAND)
    outer = Box(comb.x - pad, comb.y - pad, comb.w + 2 * pad, comb.h + 2 * pad)
    image = cut_region(sheet, outer, max(1, int(outer.w * SCALE)), max(1, int(outer.h * SCALE)))
    ink = _dark(image)
    inner = int((pad - GAP) * SCALE), int((pad + comb.h + GAP) * SCALE)
    left, right = int((pad - GAP) * SCALE), int((pad + comb.w + GAP) * SCALE)
    outside = ink.copy()
    outside[inner[0] : inner[1], left:right] = False
    if "." not in field.key:
        outside[: inner[0], :] = False  # header fields have their printed label above
    flags = []
    for i, box in enumerate(field.boxes):
        x0 = int((box.x - outer.x) * SCALE)
        x1 = int((box.x + box.w - outer.x) * SCALE)
        if i == 0:
            x0 = 0
        if i == len(field.boxes) - 1:
            x1 = outside.shape[1]
        flags.append(int(outside[:, x0:x1].sum()) >= MIN_INK)
    return flags


def _dark(image: NDArray[np.uint8]) -> NDArray[np.bool_]:
    """Dark pixels that are not part of a long straight printed line."""
    paper = float(np.percentile(image, 90)) or 1.0
    ink = (image < DARK * paper).astype(np.uint8)
    across = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, LINE), np.uint8))
    down = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((LINE, 1), np.uint8))
    lines = cv2.dilate(np.maximum(across, down), np.ones((3, 3), np.uint8))
    return _without_edge_stubs((ink > 0) & (lines == 0))


def _without_edge_stubs(ink: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Drop thin pieces cut by the crop's edge: the ends of the neighbouring rows' lines."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    keep = np.ones(count, bool)
    height, width = ink.shape
    for i in range(1, count):
        x, y, w, h = stats[i, :4]
        touches = x == 0 or y == 0 or x + w == width or y + h == height
        keep[i] = not (touches and min(w, h) <= 4)
    keep[0] = False
    return np.asarray(keep[labels])
