"""What surrounds and lights the page in a photo: table and floor textures, uneven light.

Every field here is smooth or repetitive, so it is drawn at a fraction of the photo's
resolution and scaled up once: full-resolution float work would dominate the generator's
time for nothing a reader could see.
"""

from __future__ import annotations

from collections.abc import Callable
from statistics import NormalDist
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

Image = NDArray[np.uint8]
GAIN_UNIT = 200.0  # a uint8 gain of 200 means x1.0, so light can brighten up to x1.27
BACKGROUNDS = ("wood", "tiles", "carpet", "laminate")


def u8(array: Any) -> Image:
    """View an OpenCV result as the uint8 image it is (no copy; for the type checker)."""
    return np.asarray(array, dtype=np.uint8)


def background(kind: str, size: tuple[int, int], rng: np.random.Generator) -> Image:
    """A BGR texture of `size` (width, height): a table or a floor under the page."""
    width, height = size
    small = (max(8, width // 4), max(8, height // 4))
    makers: dict[str, Callable[[tuple[int, int], np.random.Generator], NDArray[np.float32]]] = {
        "wood": _wood,
        "tiles": _tiles,
        "carpet": _carpet,
        "laminate": _laminate,
    }
    texture = makers[kind](small, rng)
    colour = _surface_colour(kind, rng)
    image = np.clip(texture[:, :, None] * colour[None, None, :], 0, 255).astype(np.uint8)
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)


def _surface_colour(kind: str, rng: np.random.Generator) -> NDArray[np.float32]:
    if kind == "wood":
        base = (rng.uniform(40, 90), rng.uniform(80, 130), rng.uniform(120, 190))
    elif kind == "carpet":
        base = tuple(rng.uniform(40, 160, 3))
    else:
        grey = rng.uniform(110, 200)
        base = (grey * rng.uniform(0.85, 1.0), grey * rng.uniform(0.9, 1.0), grey)
    return np.asarray(base, np.float32)


def _noise(
    size: tuple[int, int], cells: tuple[int, int], rng: np.random.Generator
) -> NDArray[np.float32]:
    """Smooth value noise in [0, 1]: `cells` random values scaled up bicubically."""
    grid = rng.random((max(cells[1], 2), max(cells[0], 2))).astype(np.float32)
    return np.clip(cv2.resize(grid, size, interpolation=cv2.INTER_CUBIC), 0, 1)


def _wood(size: tuple[int, int], rng: np.random.Generator) -> NDArray[np.float32]:
    """Planks: grain streaks and rings along x, or along y half of the time."""
    across = rng.random() < 0.5
    w, h = (size[1], size[0]) if across else size
    streaks = _noise((w, h), (w // 3, 6), rng)
    warp = _noise((w, h), (4, 4), rng) * 12
    x = np.arange(w, dtype=np.float32)[None, :] / max(w, 1) * rng.uniform(20, 60)
    rings = 0.5 + 0.5 * np.sin(x + warp)
    texture = 0.75 + 0.15 * rings + 0.15 * streaks
    return texture.T.copy() if across else texture


def _tiles(size: tuple[int, int], rng: np.random.Generator) -> NDArray[np.float32]:
    w, h = size
    tile = int(rng.uniform(0.15, 0.35) * max(w, h))
    ys, xs = np.mgrid[0:h, 0:w]
    ox, oy = rng.integers(0, tile, 2)
    cell = ((xs + ox) // tile) * 7 + ((ys + oy) // tile) * 13
    shade = (0.9 + 0.1 * np.sin(cell.astype(np.float32))).astype(np.float32)
    grout = (((xs + ox) % tile) < 3) | (((ys + oy) % tile) < 3)
    texture = shade * (0.95 + 0.05 * _noise(size, (w // 2, h // 2), rng))
    texture[grout] *= 0.6
    return texture


def _carpet(size: tuple[int, int], rng: np.random.Generator) -> NDArray[np.float32]:
    w, h = size
    fine = rng.random((h, w)).astype(np.float32)
    fine = np.asarray(cv2.GaussianBlur(fine, (0, 0), 0.8), np.float32)
    return 0.7 + 0.35 * fine + 0.15 * _noise(size, (6, 8), rng)


def _laminate(size: tuple[int, int], rng: np.random.Generator) -> NDArray[np.float32]:
    w, h = size
    return 0.85 + 0.1 * _noise(size, (3, 3), rng) + 0.04 * _noise(size, (w // 8, h // 8), rng)


def lighting_gain(size: tuple[int, int], rng: np.random.Generator, shadow: bool) -> Image:
    """A smooth 3-channel uint8 gain field (GAIN_UNIT = x1.0): exposure, a light gradient,
    vignetting, a warm or cool colour cast and, if `shadow`, a soft hand or phone shadow."""
    width, height = size
    sw, sh = max(8, width // 16), max(8, height // 16)
    ys, xs = np.mgrid[0:sh, 0:sw].astype(np.float32)
    xs, ys = xs / sw - 0.5, ys / sh - 0.5
    angle = rng.uniform(0, 2 * np.pi)
    gradient = 1.0 + rng.uniform(0.0, 0.35) * (np.cos(angle) * xs + np.sin(angle) * ys)
    vignette = 1.0 - rng.uniform(0.0, 0.3) * (xs**2 + ys**2) * 2
    gain = rng.uniform(0.78, 1.08) * gradient * vignette
    if shadow:
        gain *= _shadow((sw, sh), rng)
    cast = np.asarray([rng.uniform(0.87, 1.0), rng.uniform(0.94, 1.0), 1.0], np.float32)
    if rng.random() < 0.25:
        cast = np.asarray(
            [1.0, cast[1], 0.5 + cast[0] / 2], np.float32
        )  # cool light instead of warm
    field = np.clip(gain[:, :, None] * cast[None, None, :] * GAIN_UNIT, 0, 255).astype(np.uint8)
    return cv2.resize(field, (width, height), interpolation=cv2.INTER_LINEAR)


def _shadow(size: tuple[int, int], rng: np.random.Generator) -> NDArray[np.float32]:
    w, h = size
    mask = np.zeros((h, w), np.float32)
    corner = rng.integers(0, 4)
    cx, cy = (0 if corner in (0, 3) else w), (0 if corner in (0, 1) else h)
    points = [(cx, cy)]
    for _ in range(4):
        points.append((int(cx + rng.uniform(-0.9, 0.9) * w), int(cy + rng.uniform(-0.9, 0.9) * h)))
    cv2.fillPoly(mask, [np.asarray(points, np.int32)], 1.0)
    mask = np.asarray(cv2.GaussianBlur(mask, (0, 0), max(w, h) * 0.04), np.float32)
    return 1.0 - rng.uniform(0.2, 0.45) * mask


def apply_gain(image: Image, gain: Image) -> Image:
    """`image` x `gain` / GAIN_UNIT, saturating, in uint8."""
    return u8(cv2.multiply(image, gain, scale=1.0 / GAIN_UNIT))


def add_sensor_noise(image: Image, sigma: float, rng: np.random.Generator) -> Image:
    """Luma noise at half resolution (phones denoise into 2x2-ish grain), added in uint8.

    Gaussian values come from random bytes through a 256-entry quantile table (truncated
    at 2.9 sigma): four times faster than drawing normals, and no float image is made.
    The noise is stored around 128; sigma stays far below 128, so nothing clips there.
    """
    h, w = image.shape[:2]
    small_h, small_w = (h + 1) // 2, (w + 1) // 2
    quantile = NormalDist().inv_cdf
    table = np.array([128.5 + sigma * quantile((i + 0.5) / 256) for i in range(256)])
    raw = np.frombuffer(rng.bytes(small_h * small_w), np.uint8).reshape(small_h, small_w)
    small = cv2.LUT(raw, table.astype(np.uint8))
    up = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)
    return u8(cv2.addWeighted(image, 1.0, cv2.cvtColor(up, cv2.COLOR_GRAY2BGR), 1.0, -128.0))


def glare_blob(
    size: tuple[int, int], centre: tuple[float, float], rng: np.random.Generator
) -> Image:
    """A bright, saturated elliptical reflection (3-channel uint8, added to the photo)."""
    width, height = size
    f = 4
    sw, sh = max(8, width // f), max(8, height // f)
    ys, xs = np.mgrid[0:sh, 0:sw].astype(np.float32)
    a = rng.uniform(0.12, 0.22) * width / f
    b = a * rng.uniform(0.5, 0.9)
    t = rng.uniform(0, np.pi)
    dx, dy = xs - centre[0] / f, ys - centre[1] / f
    u = (dx * np.cos(t) + dy * np.sin(t)) / a
    v = (-dx * np.sin(t) + dy * np.cos(t)) / b
    r = np.sqrt(u**2 + v**2)
    blob = np.clip((1.25 - r) / 0.65, 0, 1) * 255 * 1.6
    small = np.clip(blob, 0, 255).astype(np.uint8)
    return cv2.cvtColor(cv2.resize(small, (width, height)), cv2.COLOR_GRAY2BGR)
