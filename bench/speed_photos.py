"""Photos for `bench.speed` made another way than `canvass synth photos`: the same rendered
worksheets written with the same `evaluate` digit samples, but photographed by a camera
model of this module's own, so the reader's speed (and accuracy) is not tuned to one
generator's habits.

The camera, unlike `canvass.synth.camera` (a 3-D pose through a pinhole, Gaussian and
motion blur, additive noise, any JPEG quality from 60): the page is fitted to the frame,
turned (a quarter turn in a landscape frame: the phone held sideways), and each corner is
pushed independently (a keystone, not a pose); the light is a straight ramp times a soft
lamp spot; focus is a defocus disc; the noise is shot noise that grows with brightness,
stronger in the chroma; the phone then sharpens (unsharp mask, with its halos) and saves
a colour JPEG with 4:2:0 chroma at quality 85-92, 8-12 MP, as phone cameras do.

Each photo is a pure function of (seed, index): a rerun gives the same bytes. Photos are
made once on all cores and cached in the folder (a `bench-set.json` stamp says which set).
"""

from __future__ import annotations

import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from canvass.handwriting import Split
from canvass.model import Election
from canvass.settings import BUILTIN_DATA
from canvass.synth.fill import DigitBank, fill_sheet
from canvass.synth.generate import PhotoJob, plan_jobs, written_values
from canvass.synth.sources import units_for
from canvass.worksheet.layout import build_layout
from canvass.worksheet.render import WorksheetRenderer

Image = NDArray[np.uint8]
FRAMES = ((3024, 4032), (2736, 3648), (2448, 3264), (4032, 3024))  # 12, 10, 8 MP; sideways
DIGITS = BUILTIN_DATA / "handwriting" / "digits.png"
GENERATOR = "bench.speed_photos v1"
EVALUATE: Split = "evaluate"  # digit samples never trained or calibrated on


@dataclass(frozen=True)
class Shot:
    """One photo: its JPEG bytes and the drawn conditions (for the ground truth)."""

    jpeg: bytes
    conditions: dict[str, Any]


def phone_photo_set(folder: Path, election: Election, count: int, seed: int) -> list[Path]:
    """`count` phone-style photos of `election`'s worksheets in `folder` (made on first use),
    each with its ground truth beside it (`photo-NNNNN.json`, the fields as `canvass synth`
    writes them)."""
    stamp = folder / "bench-set.json"
    wanted = {"generator": GENERATOR, "count": count, "seed": seed, "election": election.id}
    if not (stamp.exists() and json.loads(stamp.read_text()) == wanted):
        folder.mkdir(parents=True, exist_ok=True)
        jobs = plan_jobs(units_for(election, BUILTIN_DATA), count, seed, 0.0)
        chunks = [jobs[i::2] for i in range(2)]
        context = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
            list(pool.map(_make_chunk, chunks, [election] * 2, [folder] * 2, [seed] * 2))
        stamp.write_text(json.dumps(wanted))
    return sorted(folder.glob("photo-*.jpg"))[:count]


def _make_chunk(jobs: list[PhotoJob], election: Election, folder: Path, seed: int) -> None:
    cv2.setNumThreads(1)
    layout = build_layout(election)
    renderer = WorksheetRenderer(layout, election)
    bank = DigitBank.load(DIGITS, EVALUATE)
    for job in jobs:
        rng = np.random.default_rng([seed, job.index, 85])
        values = written_values(job.numbers, layout, job.precinct.satellite)
        page = renderer.render_array(job.precinct)
        sheet, fields, _writer = fill_sheet(page, layout, values, bank, rng, job.numbers.ticks)
        shot = photograph_like_a_phone(sheet, rng)
        (folder / f"{job.stem}.jpg").write_bytes(shot.jpeg)
        truth = {
            "photo": f"{job.stem}.jpg",
            "kind": "good",
            "generator": GENERATOR,
            "precinct": job.precinct.id,
            "form": layout.form,
            "fields": {k: f.as_json() for k, f in fields.items()},
            "conditions": shot.conditions,
        }
        (folder / f"{job.stem}.json").write_text(json.dumps(truth, indent=1), encoding="utf-8")


def photograph_like_a_phone(sheet: Image, rng: np.random.Generator) -> Shot:
    """The BGR `sheet` (form pixels) as a phone JPEG (see the module docstring)."""
    width, height = FRAMES[int(rng.integers(len(FRAMES)))]
    frame = _desk((width, height), rng)
    corners, pose = _keystone(sheet.shape[1], sheet.shape[0], (width, height), rng)
    form = np.array(
        [[0, 0], [sheet.shape[1], 0], [sheet.shape[1], sheet.shape[0]], [0, sheet.shape[0]]],
        np.float32,
    )
    matrix = cv2.getPerspectiveTransform(form, corners)
    cv2.warpPerspective(
        sheet, matrix, (width, height), dst=frame, flags=cv2.INTER_CUBIC,
        borderMode=cv2.BORDER_TRANSPARENT,
    )  # fmt: skip
    frame, light = _light(frame, rng)
    radius = float(rng.uniform(0.6, 2.2)) * height / 4032
    frame = np.asarray(cv2.filter2D(frame, -1, _disc(radius)), np.uint8)
    frame = _shot_noise(frame, rng)
    amount = float(rng.uniform(0.3, 0.9))
    soft = cv2.GaussianBlur(frame, (0, 0), 1.6)
    frame = np.asarray(cv2.addWeighted(frame, 1 + amount, soft, -amount, 0), np.uint8)
    quality = int(rng.integers(85, 93))
    params = [
        cv2.IMWRITE_JPEG_QUALITY, quality,
        cv2.IMWRITE_JPEG_SAMPLING_FACTOR, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_420,
    ]  # fmt: skip
    ok, buffer = cv2.imencode(".jpg", frame, params)
    if not ok:
        raise RuntimeError("OpenCV could not encode the photo as JPEG")
    conditions = {
        "size": [width, height],
        **pose,
        **light,
        "defocus_px": round(radius, 2),
        "sharpen": round(amount, 2),
        "jpeg_quality": quality,
        "chroma": "4:2:0",
    }
    return Shot(buffer.tobytes(), conditions)


def _desk(size: tuple[int, int], rng: np.random.Generator) -> Image:
    """A plain desk: one colour with a blotchy low-frequency texture."""
    width, height = size
    colour = rng.uniform(60, 190, 3)
    blotch = rng.normal(0, 12, (height // 64 + 2, width // 64 + 2, 3)).astype(np.float32)
    texture = cv2.resize(blotch, (width, height), interpolation=cv2.INTER_CUBIC)
    return np.asarray(np.clip(texture + colour, 0, 255), np.uint8)


def _keystone(
    page_w: int, page_h: int, size: tuple[int, int], rng: np.random.Generator
) -> tuple[NDArray[np.float32], dict[str, Any]]:
    """Where the page's corners land: fitted to the frame, turned, each corner pushed."""
    width, height = size
    sideways = width > height
    turn = float(rng.normal(0, 4)) + (90.0 if sideways else 0.0)
    shown_h, shown_w = (page_w, page_h) if sideways else (page_h, page_w)
    fill = float(rng.uniform(0.78, 0.95))
    scale = fill * min(height / shown_h, width / shown_w)
    half = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], np.float64) * [page_w / 2, page_h / 2]
    angle = np.radians(turn)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    corners = half @ rotation.T * scale
    corners += rng.uniform(-0.035, 0.035, (4, 2)) * page_h * scale  # keystone, each corner
    span = corners.max(axis=0) - corners.min(axis=0)
    fit = min(1.0, float(np.min(0.97 * np.array([width, height]) / span)))
    corners, span, scale = corners * fit, span * fit, scale * fit  # the whole page in view
    room = np.maximum(np.array([width, height]) - span, 0)
    centre = corners.min(axis=0) * -1 + room * rng.uniform(0.2, 0.8, 2)
    placed = (corners + centre).astype(np.float32)
    pose = {"turn_deg": round(turn, 2), "fill": round(fill, 3), "scale": round(scale, 3)}
    return placed, pose


def _light(frame: Image, rng: np.random.Generator) -> tuple[Image, dict[str, Any]]:
    """A straight brightness ramp times a soft lamp spot, computed small and enlarged."""
    height, width = frame.shape[:2]
    ys, xs = np.mgrid[0:64, 0:48].astype(np.float32)
    ys, xs = ys / 63 - 0.5, xs / 47 - 0.5
    angle = float(rng.uniform(0, 2 * np.pi))
    low, high = float(rng.uniform(0.55, 0.8)), float(rng.uniform(0.95, 1.1))
    ramp = low + (high - low) * (0.5 + np.cos(angle) * xs + np.sin(angle) * ys)
    cx, cy = rng.uniform(-0.4, 0.4, 2)
    spot = 1 + float(rng.uniform(0.0, 0.2)) * np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / 0.08)
    gain = cv2.resize(np.clip(ramp * spot, 0.3, 1.25), (width, height))
    lit = frame.astype(np.float32) * gain[:, :, None]
    light = {
        "ramp": [round(low, 2), round(high, 2)],
        "ramp_deg": round(float(np.degrees(angle)), 1),
    }
    return np.asarray(np.clip(lit, 0, 255), np.uint8), light


def _disc(radius: float) -> NDArray[np.float32]:
    """A defocus disc (pillbox) kernel of `radius` px, antialiased."""
    size = 2 * int(np.ceil(radius)) + 1
    big = np.zeros((size * 8, size * 8), np.float32)
    cv2.circle(big, (size * 4, size * 4), max(1, round(radius * 8)), 1.0, -1, cv2.LINE_AA)
    kernel = cv2.resize(big, (size, size), interpolation=cv2.INTER_AREA)
    return np.asarray(kernel / kernel.sum(), np.float32)


def _shot_noise(frame: Image, rng: np.random.Generator) -> Image:
    """Noise whose spread grows with the square root of the brightness; the chroma gets
    more of it than the luma (phone sensors are small)."""
    gain = float(rng.uniform(0.15, 0.35))
    values = frame.astype(np.float32)
    luma = rng.standard_normal(frame.shape[:2], np.float32)[:, :, None]
    chroma = rng.standard_normal(frame.shape, np.float32) * 0.6
    noisy = values + (luma + chroma) * gain * np.sqrt(values + 1.0)
    return np.asarray(np.clip(noisy, 0, 255), np.uint8)
