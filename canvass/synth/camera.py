"""Photographing a filled sheet the way a tired chair with a phone does.

The page is posed in 3-D (tilt up to about 20 degrees each way, in-plane rotation up to
20 degrees) and projected with a pinhole camera, then placed in a phone-sized frame
(8-12 MP, portrait) over a table or floor texture. One `cv2.warpPerspective` writes the
page straight onto the background (BORDER_TRANSPARENT: no mask, no float compositing);
light, shadow, blur, sensor noise and JPEG follow, all in uint8.

Photos that must be rejected are made by pushing one step too far, and say which:
`corner_cut` (a corner marker wholly outside the frame), `blurred`, `glare` (a saturated
reflection over the digit boxes), `not_a_worksheet` (a textured scene, a blank page or a
page of other print).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from canvass.synth.scene import (
    BACKGROUNDS,
    Image,
    add_sensor_noise,
    apply_gain,
    background,
    glare_blob,
    lighting_gain,
    u8,
)
from canvass.worksheet.layout import MARKER_MARGIN, MARKER_SIZE, Box

PHONE_SIZES = ((2448, 3264), (2736, 3648), (3000, 4000))  # portrait 8, 10, 12 MP
REJECT_KINDS = ("corner_cut", "blurred", "glare", "not_a_worksheet")
KINDS = ("good", *REJECT_KINDS)
NOT_A_WORKSHEET = ("scene", "blank_page", "other_print")
REFERENCE_HEIGHT = 3264.0  # photo-space sizes below are for this height, scaled to others


@dataclass(frozen=True)
class Photo:
    """A JPEG and how it was taken: `homography` maps page pixels to photo pixels (None
    when no worksheet is in it); `conditions` are the drawn parameters, for ground truth."""

    jpeg: bytes
    size: tuple[int, int]
    homography: NDArray[np.float64] | None
    conditions: dict[str, Any]


def photograph(
    sheet: Image,
    kind: str,
    size: tuple[int, int],
    rng: np.random.Generator,
    glare_region: Box,
) -> Photo:
    """Photograph the BGR `sheet` (page pixels) into a `size` (width, height) JPEG."""
    width, height = size
    unit = height / REFERENCE_HEIGHT
    surface = str(rng.choice(BACKGROUNDS))
    frame = background(surface, size, rng)
    conditions: dict[str, Any] = {"background": surface}
    homography: NDArray[np.float64] | None = None
    if kind == "not_a_worksheet":
        variant = str(rng.choice(NOT_A_WORKSHEET))
        conditions["variant"] = variant
        if variant == "scene":
            _scatter_shapes(frame, rng)
        else:
            page = (
                _blank_page(sheet.shape[:2])
                if variant == "blank_page"
                else _other_print(sheet.shape[:2], rng)
            )
            homography, pose = _pose(page.shape[1], page.shape[0], size, rng, None)
            _warp_onto(page, homography, frame)
            conditions.update(pose)
    else:
        cut = int(rng.integers(4)) if kind == "corner_cut" else None
        homography, pose = _pose(sheet.shape[1], sheet.shape[0], size, rng, cut)
        _warp_onto(sheet, homography, frame)
        conditions.update(pose)
    shadow = bool(rng.random() < 0.45)
    frame = apply_gain(frame, lighting_gain(size, rng, shadow))
    conditions["shadow"] = shadow
    frame = _blur(frame, kind, unit, rng, conditions)
    noise = float(rng.uniform(1.5, 5.0))
    frame = add_sensor_noise(frame, noise, rng)
    conditions["noise_sigma"] = round(noise, 2)
    if kind == "glare" and homography is not None:
        centre = _glare_centre(glare_region, homography, rng)
        frame = u8(cv2.add(frame, glare_blob(size, centre, rng)))
        conditions["glare_centre"] = [round(centre[0], 1), round(centre[1], 1)]
    quality = int(rng.integers(60, 96))
    ok, buffer = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("OpenCV could not encode the photo as JPEG")
    conditions["jpeg_quality"] = quality
    return Photo(buffer.tobytes(), (width, height), homography, conditions)


def _pose(
    page_w: int, page_h: int, size: tuple[int, int], rng: np.random.Generator, cut: int | None
) -> tuple[NDArray[np.float64], dict[str, Any]]:
    """A homography page -> photo from a 3-D pose; `cut` pushes that corner's marker out."""
    roll = float(np.clip(rng.normal(0, 5), -20, 20))
    if rng.random() < 0.15:
        roll = float(rng.uniform(-20, 20))
    tilt_x, tilt_y = (float(np.clip(rng.normal(0, 7), -20, 20)) for _ in range(2))
    projected = _project(page_w, page_h, roll, tilt_x, tilt_y)
    width, height = size
    extent = projected.max(axis=0) - projected.min(axis=0)
    fill = float(rng.uniform(0.72, 0.93))
    scale = min(fill * height / extent[1], 0.95 * width / extent[0])
    quad = (projected - projected.min(axis=0)) * scale
    margin = 0.02 * min(width, height)
    shift = np.array(
        [
            _place(quad[:, 0].max(), width, margin, rng),
            _place(quad[:, 1].max(), height, margin, rng),
        ]
    )
    if cut is not None:
        shift = _cut_shift(quad, cut, scale, size, rng, shift)
    quad = quad + shift
    page = np.array([[0, 0], [page_w, 0], [page_w, page_h], [0, page_h]], np.float32)
    homography = cv2.getPerspectiveTransform(page, quad.astype(np.float32)).astype(np.float64)
    pose = {
        "roll_deg": round(roll, 2),
        "tilt_x_deg": round(tilt_x, 2),
        "tilt_y_deg": round(tilt_y, 2),
        "page_corners": [[round(float(x), 1), round(float(y), 1)] for x, y in quad],
    }
    if cut is not None:
        pose["cut_corner"] = cut
    return homography, pose


def _project(
    page_w: int, page_h: int, roll: float, tilt_x: float, tilt_y: float
) -> NDArray[np.float64]:
    """The page corners seen by a pinhole camera 1.3 page heights away."""
    rx, ry, rz = np.radians([tilt_x, tilt_y, roll])
    rot_x = np.array([[1, 0, 0], [0, np.cos(rx), -np.sin(rx)], [0, np.sin(rx), np.cos(rx)]])
    rot_y = np.array([[np.cos(ry), 0, np.sin(ry)], [0, 1, 0], [-np.sin(ry), 0, np.cos(ry)]])
    rot_z = np.array([[np.cos(rz), -np.sin(rz), 0], [np.sin(rz), np.cos(rz), 0], [0, 0, 1]])
    hw, hh = page_w / 2, page_h / 2
    corners = np.array([[-hw, -hh, 0], [hw, -hh, 0], [hw, hh, 0], [-hw, hh, 0]], np.float64)
    distance = 1.3 * page_h
    camera = corners @ (rot_z @ rot_y @ rot_x).T + np.array([0, 0, distance])
    return camera[:, :2] / camera[:, 2:3] * distance


def _place(extent: float, frame: float, margin: float, rng: np.random.Generator) -> float:
    low, high = margin, frame - margin - extent
    return float(rng.uniform(low, high)) if high > low else (frame - extent) / 2


def _cut_shift(
    quad: NDArray[np.float64],
    corner: int,
    scale: float,
    size: tuple[int, int],
    rng: np.random.Generator,
    shift: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Move the page along x or y until corner `corner`'s marker is wholly out of frame."""
    reach = (MARKER_MARGIN + MARKER_SIZE) * scale * 1.45 * float(rng.uniform(1.0, 1.4))
    axis = int(rng.integers(2))
    point = quad[corner, axis]
    low_side = corner in ((0, 3) if axis == 0 else (0, 1))
    shifted = shift.copy()
    shifted[axis] = -reach - point if low_side else size[axis] + reach - point
    return shifted


def _warp_onto(page: Image, homography: NDArray[np.float64], frame: Image) -> None:
    """Warp `page` into `frame` in place; shrink it first (INTER_AREA) when the photo shows
    it much smaller than printed, so that small test photos do not alias."""
    height = frame.shape[0]
    corners = cv2.perspectiveTransform(
        np.array([[[0, 0], [0, page.shape[0]]]], np.float64), homography
    )[0]
    shown = float(np.linalg.norm(corners[1] - corners[0])) / page.shape[0]
    matrix = homography
    if shown < 0.7:
        factor = max(shown * 1.25, 8.0 / height)
        page = u8(cv2.resize(page, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA))
        matrix = homography @ np.diag([1.0 / factor, 1.0 / factor, 1.0])
    cv2.warpPerspective(
        page,
        matrix,
        (frame.shape[1], frame.shape[0]),
        dst=frame,
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_TRANSPARENT,
    )


def _blur(
    image: Image, kind: str, unit: float, rng: np.random.Generator, conditions: dict[str, Any]
) -> Image:
    """Focus and hand-shake blur; far beyond readable for `blurred` photos."""
    if kind == "blurred":
        sigma = float(rng.uniform(11.0, 18.0)) * unit
        motion = float(rng.uniform(50.0, 90.0)) * unit if rng.random() < 0.5 else 0.0
    else:
        sigma = float(rng.uniform(0.3, 1.3)) * unit
        motion = float(rng.uniform(1.5, 4.0)) * unit if rng.random() < 0.3 else 0.0
    angle = float(rng.uniform(0, 180))
    conditions.update(
        {
            "blur_sigma": round(sigma, 2),
            "motion_px": round(motion, 1),
            "motion_deg": round(angle, 1),
        }
    )
    if motion >= 2.0:
        image = _filter_reduced(image, _motion_kernel(motion, angle), motion)
    if sigma >= 0.4:
        image = _gaussian(image, sigma)
    return image


def _gaussian(image: Image, sigma: float) -> Image:
    if sigma <= 4.0:
        return u8(cv2.GaussianBlur(image, (0, 0), sigma))
    factor = 4.0 / sigma
    small = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), 4.0)
    return u8(cv2.resize(small, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_LINEAR))


def _motion_kernel(length: float, angle: float) -> NDArray[np.float32]:
    size = int(np.ceil(length)) | 1
    kernel = np.zeros((size, size), np.float32)
    c = size // 2
    dx, dy = np.cos(np.radians(angle)) * length / 2, np.sin(np.radians(angle)) * length / 2
    cv2.line(
        kernel, (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy)), 1.0, 1, cv2.LINE_AA
    )
    return kernel / kernel.sum()


def _filter_reduced(image: Image, kernel: NDArray[np.float32], length: float) -> Image:
    """Convolve; long kernels run on a reduced image (a smear that long hides the detail)."""
    if length <= 15:
        return u8(cv2.filter2D(image, -1, kernel))
    factor = 15.0 / length
    small = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    small_kernel = cv2.resize(kernel, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    small = cv2.filter2D(small, -1, small_kernel / small_kernel.sum())
    return u8(cv2.resize(small, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_LINEAR))


def _glare_centre(
    region: Box, homography: NDArray[np.float64], rng: np.random.Generator
) -> tuple[float, float]:
    x = region.x + rng.uniform(0.15, 0.85) * region.w
    y = region.y + rng.uniform(0.1, 0.9) * region.h
    point = cv2.perspectiveTransform(np.array([[[x, y]]], np.float64), homography)[0, 0]
    return float(point[0]), float(point[1])


def _blank_page(shape: tuple[int, ...]) -> Image:
    return np.full((shape[0], shape[1], 3), 246, np.uint8)


def _other_print(shape: tuple[int, ...], rng: np.random.Generator) -> Image:
    """A page of some other print: lines of text-like marks and a ruled table, no markers."""
    page = _blank_page(shape)
    h, w = shape[0], shape[1]
    y = int(h * 0.08)
    letters = "abcdefghijklmnopqrstuvwxyz      "
    while y < h * 0.9:
        words = "".join(letters[int(i)] for i in rng.integers(0, len(letters), 60))
        cv2.putText(page, words, (int(w * 0.08), y), cv2.FONT_HERSHEY_SIMPLEX, 2.0, (20, 20, 20), 4)
        y += int(rng.uniform(70, 130))
    for x in np.linspace(w * 0.1, w * 0.9, int(rng.integers(3, 7))):
        cv2.line(page, (int(x), int(h * 0.5)), (int(x), int(h * 0.8)), (40, 40, 40), 3)
    return page


def _scatter_shapes(frame: Image, rng: np.random.Generator) -> None:
    """Objects on a table: blobs, boxes and strokes of random colours."""
    h, w = frame.shape[:2]
    for _ in range(int(rng.integers(5, 15))):
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        r = int(rng.uniform(0.03, 0.2) * w)
        shape = int(rng.integers(3))
        if shape == 0:
            cv2.circle(frame, (x, y), r, colour, -1, cv2.LINE_AA)
        elif shape == 1:
            cv2.rectangle(frame, (x, y), (x + r, y + int(r * rng.uniform(0.5, 2))), colour, -1)
        else:
            end = (x + int(rng.integers(-w // 2, w // 2)), y + int(rng.integers(-h // 2, h // 2)))
            cv2.line(frame, (x, y), end, colour, int(rng.integers(5, 40)), cv2.LINE_AA)
