"""Box-like renderings of the handwritten digit samples, for training and checking the digit model.

Why: the reader sees grey crops of ~90 px digit boxes cut from a perspective-corrected photo
(pieces of the printed box border, blue or black ink, blur, JPEG noise, uneven light), while
the only real handwriting we have is 20x20 MNIST samples (`canvass.handwriting`). This module
turns one sample into such a crop, and also renders the boxes that must NOT be read as a
confident digit: blank boxes, two digits squeezed into one box, struck-out or scribbled digits,
and digits cut by the box edge.

Constraints: every random choice is drawn from the `numpy.random.Generator` passed in, so a
seed reproduces the same pixels (OpenCV's resize/warp/JPEG are deterministic). Nothing here
knows about the page layout; it draws a single box.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from ocr.digits import REJECT, GrayImage

Mask = NDArray[np.float32]
"""Ink coverage in [0, 1], the crop's shape."""

SAMPLE_GLYPH_HEIGHT = 15.0
"""A digit's height in px inside a 20x20 digits.png sample."""

NEGATIVE_KINDS: tuple[str, ...] = ("two-digits", "struck-out", "scribbled", "cut-by-edge")
BLANK = -1
"""Label of a rendered blank box (digits are 0-9, `REJECT` is "not a single clean digit")."""


@dataclass(frozen=True)
class Box:
    """Where the printed box border lies in a crop of `size` px: the interior spans
    [left, right) x [top, bottom); each line is `thickness` px; a line at a negative
    position is outside the crop (the reader cut inside the border)."""

    size: int
    left: int
    top: int
    right: int
    bottom: int
    thickness: int


@dataclass(frozen=True)
class Rendered:
    """Crops with labels: 0-9 a digit, `REJECT` not a single digit, `BLANK` an empty box.
    `kinds[i]` names how crop i was made ("digit", "blank" or one of NEGATIVE_KINDS) and
    `sample_ids[i]` the digits.png index of its (first) sample, -1 for none."""

    crops: list[GrayImage]
    labels: NDArray[np.int64]
    kinds: list[str]
    sample_ids: NDArray[np.int64]


def draw_box(rng: np.random.Generator) -> Box:
    """A crop size and a border position, as a slightly mis-registered cut of a ~90 px box."""
    size = int(rng.integers(64, 113))
    thickness = int(rng.integers(1, 6))
    near, far = rng.integers(-6, 9, size=2), rng.integers(-6, 9, size=2)
    return Box(size, int(near[0]), int(near[1]), size - int(far[0]), size - int(far[1]), thickness)


def make_glyph(sample: NDArray[np.uint8], rng: np.random.Generator, height: float) -> Mask:
    """One sample as a pen stroke about `height` px tall, tightly cropped: scaled, rotated
    (+-15 deg), slanted, stretched, with thinner or thicker strokes."""
    scale = height / SAMPLE_GLYPH_HEIGHT
    big = cv2.resize(
        sample.astype(np.float32) / 255.0, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC
    )
    big = warp_randomly(np.asarray(big, np.float32), rng)
    glyph = np.clip((big - 0.3) / 0.35, 0.0, 1.0).astype(np.float32)
    glyph = change_stroke(glyph, rng, scale)
    return crop_to_ink(glyph)


def warp_randomly(image: Mask, rng: np.random.Generator) -> Mask:
    """Rotation +-15 deg, shear (slant) +-0.3, aspect 0.8-1.2, on a canvas that keeps it all."""
    h, w = image.shape
    pad = max(h, w) // 2
    padded = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0.0)
    centre = (padded.shape[1] / 2.0, padded.shape[0] / 2.0)
    rotation = cv2.getRotationMatrix2D(centre, float(rng.uniform(-15, 15)), 1.0)
    shear, aspect = float(rng.uniform(-0.3, 0.3)), float(rng.uniform(0.8, 1.2))
    linear = np.array([[aspect, shear], [0.0, 1.0]]) @ rotation[:, :2]
    offset = np.array(centre) - linear @ np.array(centre)
    matrix = np.hstack([linear, offset[:, None]])
    size = (padded.shape[1], padded.shape[0])
    return cv2.warpAffine(padded, matrix, size, flags=cv2.INTER_LINEAR).astype(np.float32)


def change_stroke(glyph: Mask, rng: np.random.Generator, scale: float) -> Mask:
    """Pens differ: erode or dilate by up to a few px (never erasing the digit)."""
    radius = round(rng.uniform(-0.9, 0.35) * scale)
    if radius == 0:
        return glyph
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * abs(radius) + 1,) * 2)
    if radius > 0:
        return cv2.dilate(glyph, kernel).astype(np.float32)
    thinner = cv2.erode(glyph, kernel).astype(np.float32)
    return thinner if (thinner > 0.5).sum() > 0.35 * (glyph > 0.5).sum() else glyph


def crop_to_ink(mask: Mask) -> Mask:
    """The tight bounding box of the ink (the whole mask if it has none)."""
    ys, xs = np.nonzero(mask > 0.05)
    if len(ys) == 0:
        return mask
    return mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def paste(canvas: Mask, glyph: Mask, x: int, y: int) -> None:
    """Adds `glyph` at (x, y) into `canvas` (ink saturates at 1), clipping at the crop edge."""
    h, w = glyph.shape
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + w, canvas.shape[1]), min(y + h, canvas.shape[0])
    if x1 <= x0 or y1 <= y0:
        return
    part = glyph[y0 - y : y1 - y, x0 - x : x1 - x]
    np.maximum(canvas[y0:y1, x0:x1], part, out=canvas[y0:y1, x0:x1])


def place_inside(canvas: Mask, glyph: Mask, box: Box, rng: np.random.Generator) -> None:
    """Pastes a glyph somewhere inside the interior, keeping clear of the border lines."""
    lo_x, lo_y = max(box.left + box.thickness, 2) + 1, max(box.top + box.thickness, 2) + 1
    hi_x, hi_y = min(box.right, box.size - 2) - 1, min(box.bottom, box.size - 2) - 1
    free_x, free_y = hi_x - lo_x - glyph.shape[1], hi_y - lo_y - glyph.shape[0]
    x = lo_x + int(max(free_x, 0) * rng.beta(2.5, 2.5))
    y = lo_y + int(max(free_y, 0) * rng.beta(2.5, 2.5))
    paste(canvas, glyph, x, y)


def interior_height(box: Box) -> int:
    """The usable height between the border lines (or the crop edges)."""
    top = max(box.top + box.thickness, 0)
    return min(box.bottom, box.size) - top


def interior_width(box: Box) -> int:
    """The usable width between the border lines (or the crop edges)."""
    left = max(box.left + box.thickness, 0)
    return min(box.right, box.size) - left


def fit_glyph(
    sample: NDArray[np.uint8], rng: np.random.Generator, box: Box, lo: float, hi: float
) -> Mask:
    """A glyph whose height is a random fraction [lo, hi] of the interior, shrunk to fit."""
    glyph = make_glyph(sample, rng, rng.uniform(lo, hi) * interior_height(box))
    room_h, room_w = interior_height(box) - 7, interior_width(box) - 7
    factor = min(1.0, room_h / glyph.shape[0], room_w / glyph.shape[1])
    if factor < 1.0:
        glyph = shrink(glyph, factor, factor)
    return glyph


def shrink(glyph: Mask, fx: float, fy: float) -> Mask:
    """Resizes a glyph by (fx, fy), at least 1 px each way."""
    w, h = max(1, round(glyph.shape[1] * fx)), max(1, round(glyph.shape[0] * fy))
    return cv2.resize(glyph, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32)


def ink_digit(sample: NDArray[np.uint8], box: Box, rng: np.random.Generator) -> Mask:
    """The ink of one clean digit written inside the box."""
    canvas = np.zeros((box.size, box.size), np.float32)
    place_inside(canvas, fit_glyph(sample, rng, box, 0.45, 0.88), box, rng)
    return canvas


def ink_two_digits(
    first: NDArray[np.uint8], second: NDArray[np.uint8], box: Box, rng: np.random.Generator
) -> Mask:
    """Two digits side by side, squeezed into one box (a writer who ignored the boxes)."""
    a, b = fit_glyph(first, rng, box, 0.4, 0.8), fit_glyph(second, rng, box, 0.4, 0.8)
    gap = int(rng.integers(-3, 7))
    room = interior_width(box) - 4
    squeeze = min(1.0, room / max(a.shape[1] + b.shape[1] + gap, 1))
    a, b = shrink(a, squeeze, 1.0), shrink(b, squeeze, 1.0)
    pair = np.zeros(
        (max(a.shape[0], b.shape[0]), a.shape[1] + b.shape[1] + max(gap, 0) + 3), np.float32
    )
    paste(pair, a, 0, int(rng.integers(0, pair.shape[0] - a.shape[0] + 1)))
    paste(pair, b, a.shape[1] + gap, int(rng.integers(0, pair.shape[0] - b.shape[0] + 1)))
    canvas = np.zeros((box.size, box.size), np.float32)
    place_inside(canvas, crop_to_ink(pair), box, rng)
    return canvas


def ink_struck_out(sample: NDArray[np.uint8], box: Box, rng: np.random.Generator) -> Mask:
    """A digit crossed out by one or two lines reaching well past it on both sides (a
    correction). Mostly diagonal: a short bar through the middle is how many people write
    a 7, so a struck-out box must differ from that."""
    canvas = ink_digit(sample, box, rng)
    ys, xs = np.nonzero(canvas > 0.5)
    strokes = 1 if rng.random() < 0.6 else 2
    for _ in range(strokes):
        top, bottom = ys.min() + rng.uniform(-3, 3), ys.max() + rng.uniform(-3, 3)
        y_a, y_b = (top, bottom) if rng.random() < 0.5 else (bottom, top)
        if rng.random() < 0.3:  # a near-horizontal line
            y_a = y_b = rng.uniform(ys.min(), ys.max())
            y_b += rng.uniform(-0.15, 0.15) * (xs.max() - xs.min())
        reach = rng.uniform(0.2, 0.45) * (xs.max() - xs.min() + 6)
        points = [(xs.min() - reach, y_a), (xs.max() + reach, y_b)]
        draw_stroke(canvas, points, rng, box.size)
    return canvas


def ink_scribbled(sample: NDArray[np.uint8], box: Box, rng: np.random.Generator) -> Mask:
    """A digit scribbled out: a dense zigzag over it (sometimes the scribble alone, a blotted
    box)."""
    canvas = ink_digit(sample, box, rng)
    ys, xs = np.nonzero(canvas > 0.5)
    if rng.random() < 0.2:
        canvas[:] = 0.0
    count = int(rng.integers(8, 21))
    x = np.linspace(xs.min(), xs.max(), count) + rng.normal(0, 2, count)
    ends = np.where(np.arange(count) % 2 == 0, ys.min(), ys.max()).astype(np.float64)
    y = ends + rng.normal(0, 0.12 * (ys.max() - ys.min() + 1), count)
    if rng.random() < 0.5:  # zigzag sideways instead of up and down
        x, y = (
            np.where(np.arange(count) % 2 == 0, xs.min(), xs.max()) + rng.normal(0, 2, count),
            np.linspace(ys.min(), ys.max(), count),
        )
    draw_stroke(canvas, list(zip(x, y, strict=True)), rng, box.size)
    return canvas


def ink_cut_by_edge(sample: NDArray[np.uint8], box: Box, rng: np.random.Generator) -> Mask:
    """A digit crossing the box: 35-65% of it beyond the border line or the crop edge."""
    canvas = np.zeros((box.size, box.size), np.float32)
    glyph = fit_glyph(sample, rng, box, 0.55, 0.95)
    h, w = glyph.shape
    out = rng.uniform(0.35, 0.65)
    side = int(rng.integers(0, 4))
    edge = [max(box.left, 0), max(box.top, 0), min(box.right, box.size), min(box.bottom, box.size)][
        side
    ]
    if rng.random() < 0.5:  # beyond the crop edge itself, not just the printed line
        edge = [0, 0, box.size, box.size][side]
    x = int(rng.integers(0, max(box.size - w, 1)))
    y = int(rng.integers(0, max(box.size - h, 1)))
    if side == 0:
        x = int(edge - out * w)
    elif side == 1:
        y = int(edge - out * h)
    elif side == 2:
        x = int(edge - (1 - out) * w)
    else:
        y = int(edge - (1 - out) * h)
    paste(canvas, glyph, x, y)
    return canvas


def draw_stroke(
    canvas: Mask, points: Sequence[tuple[float, float]], rng: np.random.Generator, size: int
) -> None:
    """A pen line through `points`, about as thick as handwriting at this crop size."""
    layer = np.zeros(canvas.shape, np.uint8)
    thickness = max(2, round(rng.uniform(0.035, 0.08) * size))
    pts = np.round(np.array(points) * 4).astype(np.int32).reshape(-1, 1, 2)
    cv2.polylines(layer, [pts], False, 255, thickness, cv2.LINE_AA, shift=2)
    np.maximum(canvas, layer.astype(np.float32) / 255.0, out=canvas)


def border_lines(box: Box, rng: np.random.Generator) -> Mask:
    """The printed border's visible pieces, possibly a little tilted (residual perspective)."""
    layer = np.zeros((box.size, box.size), np.uint8)
    far = box.size * 4 + 4
    for vertical, pos in (
        (True, box.left),
        (False, box.top),
        (True, box.right),
        (False, box.bottom),
    ):
        centre = pos + box.thickness / 2.0
        tilt = rng.uniform(-1.5, 1.5)
        a, b = int((centre - tilt) * 4), int((centre + tilt) * 4)
        ends = ((a, -4), (b, far)) if vertical else ((-4, a), (far, b))
        cv2.line(layer, ends[0], ends[1], 255, box.thickness, cv2.LINE_AA, shift=2)
    return layer.astype(np.float32) / 255.0


def photograph(ink: Mask, box: Box, rng: np.random.Generator) -> GrayImage:
    """Paper, ink and border as a grey photo crop: varied contrast (black or blue ink seen in
    grey), pen texture, uneven light, blur, sensor noise and JPEG."""
    size = box.size
    paper = rng.uniform(140, 245)
    ink_contrast = (
        rng.uniform(0.3, 0.9) * paper if rng.random() < 0.7 else rng.uniform(0.25, 0.45) * paper
    )
    line_contrast = rng.uniform(0.25, 0.85) * paper
    texture = 1.0 - rng.uniform(0, 0.3) * rng.random((size, size)).astype(np.float32)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size - 0.5
    light = 1.0 + rng.uniform(-0.3, 0.3) * xx + rng.uniform(-0.3, 0.3) * yy
    if rng.random() < 0.2:  # a shadow edge across the box
        light *= np.where(xx * rng.uniform(-1, 1) + yy * rng.uniform(-1, 1) > 0, 1.0, 0.75)
    lines = border_lines(box, rng)
    image = paper * light - ink_contrast * ink * texture - line_contrast * lines
    sigma = rng.uniform(0.0, 1.3)
    if sigma > 0.3:
        image = cv2.GaussianBlur(image.astype(np.float32), (0, 0), sigma)
    image = image + rng.normal(0.0, rng.uniform(0, 8), image.shape)
    crop = np.clip(image, 0, 255).astype(np.uint8)
    if rng.random() < 0.7:
        quality = int(rng.integers(35, 96))
        _, data = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, quality])
        crop = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
    return crop


def add_specks(ink: Mask, rng: np.random.Generator) -> None:
    """Dust and pen touches (a few px) that a blank box may carry."""
    for _ in range(int(rng.integers(0, 4))):
        r = int(rng.integers(0, 2))
        x, y = (int(v) for v in rng.integers(0, ink.shape[0], size=2))
        cv2.circle(ink, (x, y), r, 1.0, -1)


def render(
    images: NDArray[np.uint8],
    sample_ids: NDArray[np.int64],
    labels: NDArray[np.int64],
    seed: int,
    variants: int,
    negatives: int,
    blanks: int,
) -> Rendered:
    """`variants` box renderings of every sample, plus `negatives` not-a-single-digit boxes
    (spread over NEGATIVE_KINDS, drawn from the same samples) and `blanks` empty boxes."""
    rng = np.random.default_rng(seed)
    crops: list[GrayImage] = []
    out_labels: list[int] = []
    kinds: list[str] = []
    ids: list[int] = []
    for _ in range(variants):
        for image, label, sid in zip(images, labels, sample_ids, strict=True):
            box = draw_box(rng)
            crops.append(photograph(ink_digit(image, box, rng), box, rng))
            out_labels.append(int(label))
            kinds.append("digit")
            ids.append(int(sid))
    for n in range(negatives):
        kind = NEGATIVE_KINDS[n % len(NEGATIVE_KINDS)]
        i, j = (int(v) for v in rng.integers(0, len(images), size=2))
        box = draw_box(rng)
        crops.append(photograph(ink_negative(kind, images[i], images[j], box, rng), box, rng))
        out_labels.append(REJECT)
        kinds.append(kind)
        ids.append(int(sample_ids[i]))
    for _ in range(blanks):
        box = draw_box(rng)
        ink = np.zeros((box.size, box.size), np.float32)
        add_specks(ink, rng)
        crops.append(photograph(ink, box, rng))
        out_labels.append(BLANK)
        kinds.append("blank")
        ids.append(-1)
    return Rendered(crops, np.array(out_labels, np.int64), kinds, np.array(ids, np.int64))


def ink_negative(
    kind: str,
    first: NDArray[np.uint8],
    second: NDArray[np.uint8],
    box: Box,
    rng: np.random.Generator,
) -> Mask:
    """The ink of one not-a-single-digit box of the given kind."""
    if kind == "two-digits":
        return ink_two_digits(first, second, box, rng)
    if kind == "struck-out":
        return ink_struck_out(first, box, rng)
    if kind == "scribbled":
        return ink_scribbled(first, box, rng)
    return ink_cut_by_edge(first, box, rng)
