"""Reading a field whose writing crosses its boxes: cut the digits, not the boxes.

Chairs write fast, and a digit often runs over a box border: past the comb's outer edge,
or over the line into the next box. The box crop then holds part of a digit (a 7 without
its top is a 1), so the digit model is trained to refuse it, and the field goes to a
person. About one written field in nine does this, and most are plain to a human eye.

Here the field is cut whole, with a band around it, and its printed lines are painted out
from the writing on either side (OpenCV's inpainting: where a stroke crosses a line, the
line becomes stroke; elsewhere paper), so a stroke across a line stays whole. The ink's
connected pieces are each given to the box under their centre, and every box gets a new
crop of its own pieces only, centred, with nothing cut off. The digit model then reads
whole digits, and its usual calibration applies.

It refuses (returns None, and the boxes' own reading stands) whenever the split is not
plain: a piece wider than about one and a half boxes (digits run together, or a number
struck through), a box whose pieces would not fit in a box, or writing beyond the band.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from numpy.typing import NDArray

from canvass.worksheet.layout import Box, Field, WorksheetLayout
from canvass.worksheet.render import BOX_LINE
from ocr.crossing import comb_of, grown, print_around
from ocr.page import LocatedSheet, cut_region

Gray = NDArray[np.uint8]
BAND = 0.45
"""Of the box size, the band around the comb that is cut with it."""
LINE_SLACK = 4
"""Form px either side of a printed line that are painted out (its width, registration)."""
DARK = 0.6
"""Ink is darker than this share of the paper's brightness."""
MIN_PIECE = 12
"""Pieces smaller than this many px (at the box crop's scale) are specks."""
WIDEST = 1.45
"""A piece wider than this many boxes is digits run together or a strike-through."""
FIT = 0.78
"""A glyph taller or wider than this share of a box crop is shrunk to fit it."""


def band_of(field: Field) -> Box:
    """The comb with the band around it: what is cut."""
    comb = comb_of(field)
    pad = int(field.boxes[0].w * BAND)
    return Box(comb.x - pad, comb.y - pad, comb.w + 2 * pad, comb.h + 2 * pad)


@dataclass(frozen=True)
class Around:
    """Other printed things reaching into a field's band: boxes (other fields' digit boxes
    and checkboxes, as drawn; their lines are painted out like the field's own, their
    insides blanked) and labels (generous rectangles, blanked)."""

    boxes: tuple[Box, ...]
    labels: tuple[Box, ...]


@lru_cache(maxsize=4)
def printed_around(layout: WorksheetLayout) -> dict[str, Around]:
    """Per field, the other printed things reaching into its band (computed once)."""
    out = {}
    for f in layout.fields:
        boxes, labels = print_around(layout, f, band_of(f))
        out[f.key] = Around(tuple(boxes), tuple(labels))
    return out


@dataclass(frozen=True)
class Recut:
    """The new crops, one per box, and whether any writing lay on a printed line (then the
    boxes' own crops cut it, and these are the better view)."""

    crops: list[Gray]
    on_lines: bool


def recut_boxes(
    sheet: LocatedSheet, field: Field, masked: Around, box_pixels: int, margin: float
) -> Recut | None:
    """One crop per box of `field` (box_pixels square, the box grown by `margin`, like the
    reader's own box crops), each holding only the writing whose centre lies over that box;
    None when the writing cannot be split into boxes safely (see the module docstring).
    `masked`: other printed things near the field (`printed_around`)."""
    comb = comb_of(field)
    size = field.boxes[0].w
    outer = band_of(field)
    scale = box_pixels / (size * (1 + 2 * margin))
    width, height = round(outer.w * scale), round(outer.h * scale)
    image = cut_region(sheet, outer, width, height)
    clean, blocked, lines = _paint_out_lines(image, field, outer, masked, scale)
    paper = float(np.percentile(clean, 90)) or 1.0
    ink = (clean < DARK * paper).astype(np.uint8)
    count, found, box_stats, centroids = cv2.connectedComponentsWithStats(ink, connectivity=8)
    labels, stats = np.asarray(found, np.int32), np.asarray(box_stats, np.int32)
    touching = set(np.unique(labels[blocked]).tolist())
    on_lines = set(np.unique(labels[lines]).tolist())
    top, bottom = (comb.y - outer.y) * scale, (comb.y + comb.h - outer.y) * scale
    owners: list[list[int]] = [[] for _ in field.boxes]
    for label in range(1, count):
        y0 = stats[label, cv2.CC_STAT_TOP]
        y1 = y0 + stats[label, cv2.CC_STAT_HEIGHT]
        if stats[label, cv2.CC_STAT_AREA] < MIN_PIECE or y1 <= top or y0 >= bottom:
            continue  # a speck, or a neighbouring row's writing
        if label in touching or stats[label, cv2.CC_STAT_WIDTH] > WIDEST * size * scale:
            return None  # cut off by the band or by other print, or run together
        form_x = outer.x + centroids[label][0] / scale
        index = min(len(field.boxes) - 1, max(0, int((form_x - comb.x) // size)))
        owners[index].append(label)
    crops = [_glyph_crop(clean, labels, stats, own, paper, box_pixels) for own in owners]
    if any(c is None for c in crops):
        return None
    crossed = any(label in on_lines for own in owners for label in own)
    return Recut([c for c in crops if c is not None], crossed)


def _paint_out_lines(
    image: Gray, field: Field, outer: Box, masked: Around, scale: float
) -> tuple[Gray, NDArray[np.bool_], NDArray[np.bool_]]:
    """The cut with the printed lines (the comb's and other boxes' nearby) inpainted, and
    other boxes' insides and labels blanked; where writing would be cut off (the blanked
    things and the cut's edge, grown by a pixel); and where the lines were."""
    comb = comb_of(field)
    half = BOX_LINE / 2 + LINE_SLACK

    def fill(target: Gray, x0: float, y0: float, x1: float, y1: float, value: int) -> None:
        start = (round((x0 - outer.x) * scale), round((y0 - outer.y) * scale))
        end = (round((x1 - outer.x) * scale), round((y1 - outer.y) * scale))
        cv2.rectangle(target, start, end, value, -1)

    lines = np.zeros(image.shape, np.uint8)
    for y in (comb.y, comb.y + comb.h):
        fill(lines, comb.x - half, y - half, comb.x + comb.w + half, y + half, 255)
    for x in [b.x for b in field.boxes] + [comb.x + comb.w]:
        fill(lines, x - half, comb.y - half, x + half, comb.y + comb.h + half, 255)
    for b in masked.boxes:
        for y in (b.y, b.y + b.h):
            fill(lines, b.x - half, y - half, b.x + b.w + half, y + half, 255)
        for x in (b.x, b.x + b.w):
            fill(lines, x - half, b.y - half, x + half, b.y + b.h + half, 255)
    clean = np.asarray(cv2.inpaint(image, lines, 3, cv2.INPAINT_TELEA), np.uint8)
    paper = int(np.percentile(image, 90))
    blocked = np.zeros(image.shape, np.uint8)
    insides = [grown(b, -half) for b in masked.boxes]
    for box in (*insides, *masked.labels):
        fill(clean, box.x, box.y, box.x + box.w, box.y + box.h, paper)
        fill(blocked, box.x, box.y, box.x + box.w, box.y + box.h, 255)
    blocked[[0, -1], :] = 255
    blocked[:, [0, -1]] = 255
    reach = cv2.dilate(blocked, np.ones((3, 3), np.uint8)) > 0
    return np.asarray(clean, np.uint8), reach, lines > 0


def _glyph_crop(
    clean: Gray,
    labels: NDArray[np.int32],
    stats: NDArray[np.int32],
    own: list[int],
    paper: float,
    box_pixels: int,
) -> Gray | None:
    """A box crop of paper with the pieces `own` (grey, as written) centred in it; a crop of
    plain paper when there are none; None when they would not fit in a box."""
    crop = np.full((box_pixels, box_pixels), round(paper), np.uint8)
    if not own:
        return crop
    x0 = min(int(stats[k, cv2.CC_STAT_LEFT]) for k in own)
    y0 = min(int(stats[k, cv2.CC_STAT_TOP]) for k in own)
    x1 = max(int(stats[k, cv2.CC_STAT_LEFT] + stats[k, cv2.CC_STAT_WIDTH]) for k in own)
    y1 = max(int(stats[k, cv2.CC_STAT_TOP] + stats[k, cv2.CC_STAT_HEIGHT]) for k in own)
    if max(x1 - x0, y1 - y0) > 1.6 * box_pixels:
        return None
    mask = np.isin(labels[y0:y1, x0:x1], own)
    mask = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    glyph = np.where(mask, clean[y0:y1, x0:x1], round(paper)).astype(np.uint8)
    longest = max(x1 - x0, y1 - y0)
    if longest > FIT * box_pixels:
        factor = FIT * box_pixels / longest
        size = (max(1, round((x1 - x0) * factor)), max(1, round((y1 - y0) * factor)))
        glyph = np.asarray(cv2.resize(glyph, size, interpolation=cv2.INTER_AREA), np.uint8)
    h, w = glyph.shape
    top, left = (box_pixels - h) // 2, (box_pixels - w) // 2
    crop[top : top + h, left : left + w] = glyph
    return crop
