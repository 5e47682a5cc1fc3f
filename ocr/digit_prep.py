"""From one digit-box crop to the digit model's feature vector (the preprocessing of ocr.digits).

Why here: training (`training.train_digits`) and reading (`ocr.digits`) must run exactly the same
steps, so they share this module and nothing else prepares box crops for the digit model.

Steps, each for a reason:
1. Resize to a fixed WORK_SIZE square, so every threshold below is in fixed pixels.
2. Flatten the light: divide by a morphological closing (the paper with thin dark marks
   removed), so uneven light and shadow edges do not become ink.
3. Binarise with Otsu on the inner area (borders excluded), clamped so that a blank box's
   noise is not taken for ink and a black border does not hide blue ink.
4. Remove the printed border: long straight runs near the edges (opened with a long kernel),
   then specks and small pieces lying in the edge band (the neighbour box, corners).
5. Blank when almost no ink is left (most empty boxes are recognised before step 2 by a
   cheap contrast test that cannot miss ink: `plainly_blank`).
6. Normalise the ink's bounding box into a 20x20 MNIST-like frame (aspect preserved, 15 px
   long side, centred on the centre of mass), and describe it with HOG.
6b. For the third classifier (`training.fit_cnn`), the writing in grey in a 28x28 frame: the
   darkness under the ink mask, so a loop's inside stays light and a thin stroke thin
   (a binary mask shrunk to 20 px fills small loops: a 9 becomes a 7).
7. Append a few geometry features (where the ink sits in the box, its aspect, whether it
   touches the crop edge, how many parts it has) so that a digit crossing the border or two
   digits in one box can be told from a clean digit, which HOG of the normalised frame cannot.

Constraints: input is a 2-D grey uint8 crop (dark ink on light paper) of any size >= 8 px,
or a 3-channel BGR one; about 0.2 ms per crop on one core.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from canvass.errors import InputError

WORK_SIZE = 64
FRAME = 20
GLYPH_FIT = 15
MIN_CONTRAST = 0.12
MAX_THRESHOLD = 0.45
EDGE_BAND = 0.22
LINE_LENGTH = 0.4
LINE_SPAN = 0.75
LINE_THICKNESS = 4
SPECK_AREA = 6
BLANK_AREA = 16
BLANK_EXTENT = 0.15
GEOMETRY_WEIGHT = 0.5
FEATURE_SIZE = 324 + 9
GEOMETRY_SIZE = 9
QUICK_RING = 8
NET_FRAME = 28
NET_FIT = 20


@dataclass(frozen=True)
class Prepared:
    """One crop after preprocessing: `blank` when no ink is left, `ink_area` (px at WORK_SIZE
    of what is left), `edge_ink` (px of it on the crop's outermost ring: writing that runs
    off the box), `frame` the 20x20 normalised digit (ink bright, uint8; zeros when blank),
    `geometry` the extra features and `glyph` the 28x28 grey writing (zeros when blank)."""

    blank: bool
    ink_area: int
    edge_ink: int
    frame: NDArray[np.uint8]
    geometry: NDArray[np.float32]
    glyph: NDArray[np.uint8]


def as_gray(crop: NDArray[np.generic]) -> NDArray[np.uint8]:
    """The crop as 2-D uint8 grey; InputError for anything else."""
    if crop.dtype != np.uint8 or crop.ndim not in (2, 3) or min(crop.shape[:2]) < 8:
        raise InputError(
            f"a digit box crop must be grey or BGR uint8, >= 8 px; got {crop.dtype} {crop.shape}"
        )
    if crop.ndim == 3:
        return np.asarray(cv2.cvtColor(crop.astype(np.uint8), cv2.COLOR_BGR2GRAY), np.uint8)
    return np.asarray(crop, np.uint8)


def to_work_size(gray: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """The crop as a WORK_SIZE square."""
    if gray.shape == (WORK_SIZE, WORK_SIZE):
        return gray
    small = gray.shape[0] < WORK_SIZE
    interpolation = cv2.INTER_LINEAR if small else cv2.INTER_AREA
    return np.asarray(cv2.resize(gray, (WORK_SIZE, WORK_SIZE), interpolation=interpolation))


def plainly_blank(work: NDArray[np.uint8]) -> bool:
    """A cheap, safe shortcut for most empty boxes: nothing inside the printed border's
    ring (QUICK_RING px) is MIN_CONTRAST darker than the brightest pixel, so no pixel there
    can reach the ink level however the paper is estimated; marks confined to the ring are
    border remnants that `keep_writing` drops anyway."""
    inner = work[QUICK_RING:-QUICK_RING, QUICK_RING:-QUICK_RING]
    return int(inner.min()) >= (1.0 - MIN_CONTRAST) * int(work.max())


def darkness(work: NDArray[np.uint8]) -> NDArray[np.float32]:
    """How much darker than the local paper each pixel of a WORK_SIZE crop is, 0 (paper)
    .. 1 (black)."""
    paper = cv2.morphologyEx(work, cv2.MORPH_CLOSE, kernel(25, 25, ellipse=True))
    ratio = work.astype(np.float32) / np.maximum(paper.astype(np.float32), 1.0)
    dark = clip(1.0 - ratio, 0.0, 1.0)
    return np.asarray(cv2.GaussianBlur(dark, (3, 3), 0), np.float32)


@lru_cache(maxsize=16)
def kernel(width: int, height: int, ellipse: bool = False) -> NDArray[np.uint8]:
    """A structuring element (cached: they are reused for every crop)."""
    shape = cv2.MORPH_ELLIPSE if ellipse else cv2.MORPH_RECT
    return np.asarray(cv2.getStructuringElement(shape, (width, height)), np.uint8)


def binarise(dark: NDArray[np.float32]) -> NDArray[np.uint8]:
    """Ink mask (0/1) without the border lines. The level is Otsu's on the inner area,
    clamped to [MIN_CONTRAST, MAX_THRESHOLD]; pixels above half of it are kept where they
    connect to pixels above it (hysteresis: faint or textured strokes stay whole). Lines are
    looked for at MIN_CONTRAST, so a faint printed border is found whole."""
    inset = int(WORK_SIZE * EDGE_BAND)
    inner = (dark[inset:-inset, inset:-inset] * 255).astype(np.uint8)
    otsu, _ = cv2.threshold(inner, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    level = min(max(otsu / 255.0, MIN_CONTRAST), MAX_THRESHOLD)
    faint = (dark > MIN_CONTRAST).astype(np.uint8)
    lines = find_lines(faint) | find_lines(faint.T).T
    weak = (dark > max(MIN_CONTRAST, level / 2)).astype(np.uint8) & (1 - lines)
    strong = (dark > level) & (lines == 0)
    count, labels = cv2.connectedComponents(weak, connectivity=8)
    seeded = np.zeros(count, np.uint8)
    seeded[labels[strong]] = 1
    seeded[0] = 0
    return seeded[labels]


def find_lines(ink: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Horizontal border lines: a vertical dilation first bridges the steps of a slightly
    tilted line, and rows in the top or bottom band whose long straight runs cover
    LINE_SPAN of the width are the line; on those rows every straight run of a few px is
    cleared (the broken ends too), so a digit touching the line loses only a sliver."""
    bridged = cv2.dilate(ink, kernel(1, 3))
    runs = cv2.morphologyEx(bridged, cv2.MORPH_OPEN, kernel(int(WORK_SIZE * LINE_LENGTH), 1))
    rows = runs.sum(axis=1) >= LINE_SPAN * WORK_SIZE
    rows[int(WORK_SIZE * EDGE_BAND) : int(WORK_SIZE * (1 - EDGE_BAND))] = False
    if not rows.any():
        return np.zeros_like(ink)
    pieces = cv2.morphologyEx(bridged, cv2.MORPH_OPEN, kernel(9, 1))
    return pieces * rows[:, None].astype(np.uint8)


def keep_writing(ink: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Drops specks and, in the edge band, small pieces (neighbour ink, corners) and thin
    straight pieces touching the crop edge (a border line that leaves the crop, tilted)."""
    _count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    x, y, w, h, area = (np.asarray(stats[:, i], np.int64) for i in range(5))
    keep = ((area >= SPECK_AREA) & ~is_remnant(x, y, w, h)).astype(np.uint8)
    keep[0] = 0
    return np.asarray(keep[labels], np.uint8)


def is_remnant(
    x: NDArray[np.int64], y: NDArray[np.int64], w: NDArray[np.int64], h: NDArray[np.int64]
) -> NDArray[np.bool_]:
    """Whether each component with these bounding boxes is border debris rather than
    writing (one array operation for all of a crop's components)."""
    band, far = WORK_SIZE * EDGE_BAND, WORK_SIZE * (1 - EDGE_BAND)
    in_band = (x + w <= band) | (y + h <= band) | (x >= far) | (y >= far)
    small = np.maximum(w, h) < WORK_SIZE * 0.3
    at_edge = (x <= 1) | (y <= 1) | (x + w >= WORK_SIZE - 1) | (y + h >= WORK_SIZE - 1)
    return np.asarray(in_band & (small | (at_edge & (np.minimum(w, h) <= LINE_THICKNESS))))


def prepare(crop: NDArray[np.generic]) -> Prepared:
    """Preprocesses one box crop (see the module docstring)."""
    work = to_work_size(as_gray(crop))
    if plainly_blank(work):
        return blank_prepared(0)
    dark = darkness(work)
    ink = keep_writing(binarise(dark))
    area = int(ink.sum())
    ys, xs = np.nonzero(ink)
    extent = (max(ys.max() - ys.min(), xs.max() - xs.min()) + 1) if area else 0
    if area < BLANK_AREA or extent < BLANK_EXTENT * WORK_SIZE:
        return blank_prepared(area)
    box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    edge = area - int(ink[1:-1, 1:-1].sum())
    frame, glyph = normalise(ink, box), grey_glyph(dark, ink, box)
    return Prepared(False, area, edge, frame, geometry(ink, box), glyph)


def blank_prepared(area: int) -> Prepared:
    """A blank box with `area` px of stray marks."""
    frame = np.zeros((FRAME, FRAME), np.uint8)
    glyph = np.zeros((NET_FRAME, NET_FRAME), np.uint8)
    return Prepared(True, area, 0, frame, np.zeros(GEOMETRY_SIZE, np.float32), glyph)


def grey_glyph(
    dark: NDArray[np.float32], ink: NDArray[np.uint8], box: tuple[int, int, int, int]
) -> NDArray[np.uint8]:
    """The writing in grey (darkness, not the binary mask, so a loop's inside stays light
    and thin strokes stay thin) in a NET_FRAME square: long side NET_FIT px, aspect kept,
    centre of mass centred, contrast stretched so the darkest ink is 255."""
    x0, y0, x1, y1 = box
    near = cv2.dilate(ink, kernel(3, 3)).astype(np.float32)
    grey = (dark * near)[max(y0 - 1, 0) : y1 + 1, max(x0 - 1, 0) : x1 + 1]
    h, w = grey.shape
    scale = NET_FIT / max(h, w)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    small = np.asarray(cv2.resize(grey, (nw, nh), interpolation=cv2.INTER_AREA), np.float32)
    small = clip(small / max(strong_ink(small), 1e-3), 0.0, 1.0)
    total = float(small.sum()) or 1.0
    cy = float((small.sum(axis=1) * np.arange(nh)).sum()) / total
    cx = float((small.sum(axis=0) * np.arange(nw)).sum()) / total
    left = min(max(round(NET_FRAME / 2 - cx - 0.5), 0), NET_FRAME - nw)
    top = min(max(round(NET_FRAME / 2 - cy - 0.5), 0), NET_FRAME - nh)
    frame = np.zeros((NET_FRAME, NET_FRAME), np.float32)
    frame[top : top + nh, left : left + nw] = small
    return np.asarray(np.round(frame * 255.0), np.uint8)


def normalise(ink: NDArray[np.uint8], box: tuple[int, int, int, int]) -> NDArray[np.uint8]:
    """The ink in a 20x20 frame: long side GLYPH_FIT px, aspect kept, centre of mass centred."""
    x0, y0, x1, y1 = box
    glyph = ink[y0:y1, x0:x1].astype(np.float32)
    scale = GLYPH_FIT / max(x1 - x0, y1 - y0)
    w, h = max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale))
    glyph = np.asarray(cv2.resize(glyph, (w, h), interpolation=cv2.INTER_AREA), np.float32)
    total = float(glyph.sum()) or 1.0
    cy = float((glyph.sum(axis=1) * np.arange(h)).sum()) / total
    cx = float((glyph.sum(axis=0) * np.arange(w)).sum()) / total
    left = min(max(round(FRAME / 2 - cx - 0.5), 0), FRAME - w)
    top = min(max(round(FRAME / 2 - cy - 0.5), 0), FRAME - h)
    frame = np.zeros((FRAME, FRAME), np.float32)
    frame[top : top + h, left : left + w] = glyph
    return clip(frame * 255.0, 0.0, 255.0).astype(np.uint8)


def geometry(ink: NDArray[np.uint8], box: tuple[int, int, int, int]) -> NDArray[np.float32]:
    """Where and what shape the ink is in the box, each feature roughly within [0, 1]."""
    x0, y0, x1, y1 = box
    size, area = float(WORK_SIZE), float(ink.sum())
    w, h = x1 - x0, y1 - y0
    rim = area - float(ink[3:-3, 3:-3].sum())
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    parts = int((stats[1:, cv2.CC_STAT_AREA] >= 0.1 * area).sum()) if count > 1 else 0
    values = [
        x0 / size,
        y0 / size,
        x1 / size,
        y1 / size,
        0.5 + np.log(w / h) / 3.0,
        min(rim / area * 5.0, 1.0),
        min(parts, 4) / 4.0,
        area / (w * h),
        min(area / (size * size) * 5.0, 1.0),
    ]
    return np.array(values, np.float32)


@lru_cache(maxsize=1)
def hog() -> cv2.HOGDescriptor:
    """HOG on the 20x20 frame: 3x3 blocks of 2x2 cells of 5 px, 9 signed orientation bins."""
    return cv2.HOGDescriptor(
        (FRAME, FRAME), (10, 10), (5, 5), (5, 5), 9, 1, -1.0, 0, 0.2, True, 64, True
    )


def features(prepared: list[Prepared]) -> NDArray[np.float32]:
    """One row per non-blank crop: HOG of the frame, then the weighted geometry features."""
    rows = np.zeros((len(prepared), FEATURE_SIZE), np.float32)
    descriptor = hog()
    for i, item in enumerate(prepared):
        rows[i, :324] = np.asarray(descriptor.compute(item.frame)).ravel()
        rows[i, 324:] = item.geometry * GEOMETRY_WEIGHT
    return rows


def network_inputs(prepared: list[Prepared]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """The convnet's inputs: frames (B, 20, 20) in [0, 1] and the geometry features (B, 9)."""
    frames = np.array([item.frame for item in prepared], np.float32).reshape(-1, FRAME, FRAME)
    extra = np.array([item.geometry for item in prepared], np.float32).reshape(-1, 9)
    return frames / 255.0, extra


def clip(values: NDArray[np.floating[Any]], low: float, high: float) -> NDArray[np.float32]:
    """`np.clip` for float arrays without NaN, the same values: two ufuncs, without
    np.clip's own overhead (it was a tenth of a box's preparation)."""
    return np.asarray(np.minimum(np.maximum(values, low), high), np.float32)


def strong_ink(grey: NDArray[np.float32]) -> float:
    """The darkness of the ink's darkest 2% (its 98th percentile), 1 when there is none."""
    ink = grey[grey > 0]
    if ink.size == 0:
        return 1.0
    k = int(0.98 * (ink.size - 1))
    return float(np.partition(ink, k)[k])


def cnn_inputs(prepared: list[Prepared]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """The ONNX network's inputs: glyphs (B, 1, 28, 28) in [0, 1] and geometry (B, 9)."""
    glyphs = np.array([item.glyph for item in prepared], np.float32)
    extra = np.array([item.geometry for item in prepared], np.float32)
    shape = (len(prepared), 1, NET_FRAME, NET_FRAME)
    return glyphs.reshape(shape) / 255.0, extra.reshape(-1, GEOMETRY_SIZE)
