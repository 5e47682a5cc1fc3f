"""Ink: turning a 20x20 MNIST sample into a pen stroke on the page, and laying it down.

A sample is cropped to its ink, scaled up smoothly (bicubic) to the height a person writes
in a 0.3 in box, then thresholded with a soft edge so it looks like a ballpoint line
rather than a blurry grey blob; the pen's width comes from where the threshold sits and
from a dilation or erosion. Ink darkens the paper multiplicatively (ink over a box line
is darker than either), and only the small region under a stroke is touched, in float.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

INK_COLOURS: dict[str, tuple[tuple[int, int, int], ...]] = {
    # BGR: ballpoint black/dark grey, and ballpoint blues
    "black": ((35, 32, 30), (50, 45, 42), (25, 25, 28)),
    "blue": ((150, 60, 30), (170, 80, 20), (120, 45, 35)),
}


@dataclass(frozen=True)
class Pen:
    """One writer's pen: colour (BGR), where grey becomes ink, width change, opacity."""

    ink: str
    colour: tuple[int, int, int]
    threshold: float
    width: int
    opacity: float


def random_pen(rng: np.random.Generator) -> Pen:
    ink = "blue" if rng.random() < 0.5 else "black"
    shades = INK_COLOURS[ink]
    base = shades[int(rng.integers(len(shades)))]
    colour = tuple(int(np.clip(c + rng.integers(-12, 13), 0, 255)) for c in base)
    return Pen(
        ink=ink,
        colour=(colour[0], colour[1], colour[2]),
        threshold=float(rng.uniform(0.35, 0.6)),
        width=int(rng.choice([-1, -1, 0, 0, 0, 1])),
        opacity=float(rng.uniform(0.82, 1.0)),
    )


def glyph(
    tile: NDArray[np.uint8], height: int, pen: Pen, slant_deg: float, rotate_deg: float
) -> NDArray[np.uint8]:
    """An ink mask (uint8 alpha, 255 = full ink) of `tile` written `height` px tall."""
    ys, xs = np.nonzero(tile > 40)
    if len(ys) == 0:
        return np.zeros((height, max(height // 2, 1)), np.uint8)
    crop = tile[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    scale = height / crop.shape[0]
    width = max(2, round(crop.shape[1] * scale))
    pad = max(4, height // 5)
    canvas = np.zeros((height + 2 * pad, width + 2 * pad), np.uint8)
    big = cv2.resize(crop, (width, height), interpolation=cv2.INTER_CUBIC)
    canvas[pad : pad + height, pad : pad + width] = big
    canvas = _slant(canvas, slant_deg, rotate_deg)
    level = pen.threshold * 255.0
    alpha = np.clip((canvas.astype(np.float32) - level) * (255.0 / 38.0), 0, 255)
    mask = alpha.astype(np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    if pen.width > 0:
        mask = cv2.dilate(mask, kernel, iterations=pen.width)
    elif pen.width < 0:
        mask = cv2.erode(mask, kernel, iterations=-pen.width)
    return (mask.astype(np.float32) * pen.opacity).astype(np.uint8)


def _slant(canvas: NDArray[np.uint8], slant_deg: float, rotate_deg: float) -> NDArray[np.uint8]:
    h, w = canvas.shape
    centre = (w / 2.0, h / 2.0)
    matrix = cv2.getRotationMatrix2D(centre, rotate_deg, 1.0)
    shear = np.tan(np.radians(slant_deg))
    matrix[0, 1] += -shear
    matrix[0, 2] += shear * centre[1]
    warped = cv2.warpAffine(canvas, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)
    return np.asarray(warped, np.uint8)


def stamp(
    page: NDArray[np.uint8], mask: NDArray[np.uint8], x: int, y: int, colour: tuple[int, int, int]
) -> tuple[int, int, int, int] | None:
    """Lay `mask` onto the BGR `page` with its top-left at (x, y), clipped to the page.
    Returns the page-pixel bounding box (x0, y0, x1, y1) of solid ink, or None."""
    h, w = mask.shape
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + w, page.shape[1]), min(y + h, page.shape[0])
    if x0 >= x1 or y0 >= y1:
        return None
    part = mask[y0 - y : y1 - y, x0 - x : x1 - x].astype(np.float32) / 255.0
    roi = page[y0:y1, x0:x1].astype(np.float32)
    keep = 1.0 - np.asarray(colour, np.float32) / 255.0
    roi *= 1.0 - part[:, :, None] * keep[None, None, :]
    page[y0:y1, x0:x1] = roi.astype(np.uint8)
    ys, xs = np.nonzero(part > 0.5)
    if len(ys) == 0:
        return None
    return (x0 + int(xs.min()), y0 + int(ys.min()), x0 + int(xs.max()), y0 + int(ys.max()))


def stroke_mask(
    points: list[tuple[float, float]], thickness: int, size: tuple[int, int]
) -> NDArray[np.uint8]:
    """A mask (`size` = height, width) with an anti-aliased pen line through `points`."""
    mask = np.zeros(size, np.uint8)
    pts = np.round(np.asarray(points) * 16).astype(np.int32)
    for a, b in itertools.pairwise(pts):
        cv2.line(
            mask,
            (int(a[0]), int(a[1])),
            (int(b[0]), int(b[1])),
            255,
            thickness,
            cv2.LINE_AA,
            shift=4,
        )
    return mask
