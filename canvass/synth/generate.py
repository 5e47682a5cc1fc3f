"""Generating a set of synthetic worksheet photos with ground truth, on all cores.

Each photo is a pure function of (seed, index, precinct, numbers, split, size): its numpy
Generator is seeded from (seed, index) alone, so a set is byte-for-byte reproducible and
any one photo can be rebuilt without the others. Which photos are rejects, and of which
kind, is spread evenly by index (not drawn), so a set of 16 with `rejects=0.25` holds
exactly one of each kind.

Work goes to a process pool in chunks; a chunk renders each precinct's blank form once
and loads the digit samples once, without module-level caches. Workers come from a fork
server, not a fork of the caller: forking a process whose OpenCV thread pool has run
deadlocks the child.
"""

from __future__ import annotations

import hashlib
import json
import math
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from canvass.errors import InputError
from canvass.handwriting import Split
from canvass.model import Election, Precinct, SheetNumbers
from canvass.synth.camera import PHONE_SIZES, REJECT_KINDS, photograph
from canvass.synth.fill import DigitBank, fill_sheet
from canvass.synth.sources import Unit
from canvass.worksheet.layout import Box, WorksheetLayout, build_layout
from canvass.worksheet.render import WorksheetRenderer

MANIFEST = "manifest.jsonl"
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class PhotoJob:
    """One photo to make: which precinct and the numbers on its sheet, and what kind of
    photo."""

    index: int
    precinct: Precinct
    numbers: SheetNumbers
    kind: str

    @property
    def stem(self) -> str:
        return f"photo-{self.index:05d}"


@dataclass(frozen=True)
class SynthConfig:
    """Settings shared by every photo of a set. `size` fixes the photo's (width, height)
    instead of drawing a phone size; `scale` shrinks either (tests use ~0.25).
    `digits_path` is digits.png or a Semeion CSV (`canvass.handwriting.load_samples`)."""

    seed: int
    split: Split
    digits_path: Path
    scale: float = 1.0
    size: tuple[int, int] | None = None


@dataclass(frozen=True)
class SetSummary:
    photos: int
    kinds: dict[str, int]
    out: Path


def plan_jobs(
    units: Sequence[Unit], count: int | None, seed: int, rejects: float
) -> list[PhotoJob]:
    """Jobs for `count` units drawn (seeded) from `units`, or all of them when None;
    reject kinds are spread evenly by index, `rejects` being their share."""
    if not units:
        raise InputError("no precincts to photograph; check --county")
    if not 0.0 <= rejects <= 1.0:
        raise InputError(f"--rejects {rejects}: give a fraction between 0 and 1")
    chosen = list(units) if count is None else _sample(units, count, seed)
    return [
        PhotoJob(i, precinct, numbers, _kind_at(i, rejects))
        for i, (precinct, numbers) in enumerate(chosen)
    ]


def _sample(units: Sequence[Unit], count: int, seed: int) -> list[Unit]:
    if count < 1:
        raise InputError(f"--count {count}: ask for at least one photo")
    rng = np.random.default_rng([seed, 0x5E7])
    rounds = [rng.permutation(len(units)) for _ in range(math.ceil(count / len(units)))]
    order = np.concatenate(rounds)[:count]
    return [units[int(i)] for i in order]


def _kind_at(index: int, rejects: float) -> str:
    before = math.floor(index * rejects + 1e-9)
    if math.floor((index + 1) * rejects + 1e-9) > before:
        return REJECT_KINDS[before % len(REJECT_KINDS)]
    return "good"


def generate_set(
    jobs: Sequence[PhotoJob],
    config: SynthConfig,
    election: Election,
    out: Path,
    workers: int | None = None,
    progress: Progress | None = None,
) -> SetSummary:
    """Write every job's photo and ground truth into `out`, then `manifest.jsonl`."""
    out.mkdir(parents=True, exist_ok=True)
    layout = build_layout(election)
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    rows: list[dict[str, Any]] = []
    report = progress or (lambda done, total: None)
    report(0, len(jobs))
    if workers == 1:
        for chunk in _chunks(jobs, 1):
            rows += make_chunk(chunk, config, election, layout, out, False)
            report(len(rows), len(jobs))
    else:
        context = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = [
                pool.submit(make_chunk, chunk, config, election, layout, out, True)
                for chunk in _chunks(jobs, max(1, min(8, len(jobs) // (workers * 4))))
            ]
            for future in as_completed(futures):
                rows += future.result()
                report(len(rows), len(jobs))
    rows.sort(key=lambda r: int(r["index"]))
    with (out / MANIFEST).open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, sort_keys=True) + "\n")
    kinds: dict[str, int] = {}
    for row in rows:
        kinds[row["kind"]] = kinds.get(row["kind"], 0) + 1
    return SetSummary(photos=len(rows), kinds=kinds, out=out)


def _chunks(jobs: Sequence[PhotoJob], size: int) -> list[list[PhotoJob]]:
    return [list(jobs[i : i + size]) for i in range(0, len(jobs), size)]


def make_chunk(
    jobs: list[PhotoJob],
    config: SynthConfig,
    election: Election,
    layout: WorksheetLayout,
    out: Path,
    single_threaded: bool,
) -> list[dict[str, Any]]:
    """Make and write a chunk of photos; returns their manifest rows. In a pool worker
    OpenCV's own threads are turned off: the pool already uses every core."""
    if single_threaded:
        cv2.setNumThreads(1)
    renderer = WorksheetRenderer(layout, election)
    bank = DigitBank.load(config.digits_path, config.split)
    rows = []
    for job in jobs:
        jpeg, truth = make_photo(job, config, renderer, bank)
        (out / f"{job.stem}.jpg").write_bytes(jpeg)
        text = json.dumps(truth, indent=1, sort_keys=True)
        (out / f"{job.stem}.json").write_text(text + "\n", encoding="utf-8")
        rows.append(_manifest_row(job, truth, jpeg))
    return rows


def make_photo(
    job: PhotoJob, config: SynthConfig, renderer: WorksheetRenderer, bank: DigitBank
) -> tuple[bytes, dict[str, Any]]:
    """One photo's JPEG bytes and ground truth (a JSON-ready dict)."""
    rng = np.random.default_rng([config.seed, job.index])
    layout = renderer.layout
    values = written_values(job.numbers, layout, job.precinct.satellite)
    page = renderer.render_array(job.precinct)
    sheet, fields, writer = fill_sheet(page, layout, values, bank, rng, job.numbers.ticks)
    size = _photo_size(config, rng)
    photo = photograph(sheet, job.kind, size, rng, digit_region(layout))
    worksheet = job.kind != "not_a_worksheet"
    truth: dict[str, Any] = {
        "photo": f"{job.stem}.jpg",
        "kind": job.kind,
        "seed": config.seed,
        "index": job.index,
        "split": config.split,
        "form": layout.form if worksheet else None,
        "election": layout.election if worksheet else None,
        "precinct": job.precinct.id if worksheet else None,
        "numbers": {"values": values, "ticks": list(job.numbers.ticks)} if worksheet else None,
        "fields": {k: f.as_json() for k, f in fields.items()} if worksheet else {},
        "writer": {"ink": writer.pen.ink, "size": round(writer.size, 3)},
        "photo_size": list(photo.size),
        "homography": None if photo.homography is None else photo.homography.round(6).tolist(),
        "markers_in_frame": _markers_in_frame(layout, photo.homography, photo.size)
        if worksheet
        else [],
        "conditions": photo.conditions,
    }
    if bank.source != "mnist":  # digits.png's sets keep their bytes: no key for the default
        truth["handwriting"] = bank.source
    return photo.jpeg, truth


def written_values(
    numbers: SheetNumbers, layout: WorksheetLayout, satellite: bool
) -> dict[str, int]:
    """The sheet's numbers in the order they are written (`WorksheetLayout.sheet_fields`);
    an InputError for a number the precinct's sheet has no boxes for."""
    order = [f.key for f in layout.sheet_fields(satellite)]
    extra = sorted(set(numbers.values) - set(order))
    if extra:
        raise InputError(
            f"{numbers.precinct}: {', '.join(extra)} not on its sheet (form {layout.form})"
        )
    return {key: numbers.values[key] for key in order if key in numbers.values}


def _photo_size(config: SynthConfig, rng: np.random.Generator) -> tuple[int, int]:
    phone = PHONE_SIZES[int(rng.integers(len(PHONE_SIZES)))]
    width, height = config.size or phone
    return max(64, round(width * config.scale)), max(64, round(height * config.scale))


def digit_region(layout: WorksheetLayout) -> Box:
    """The rectangle holding every digit box: where glare hurts."""
    boxes = [b for f in layout.fields for b in f.boxes]
    x0, y0 = min(b.x for b in boxes), min(b.y for b in boxes)
    x1, y1 = max(b.x + b.w for b in boxes), max(b.y + b.h for b in boxes)
    return Box(x0, y0, x1 - x0, y1 - y0)


def _markers_in_frame(
    layout: WorksheetLayout, homography: np.ndarray | None, size: tuple[int, int]
) -> list[int]:
    """Ids of the markers wholly inside the photo."""
    if homography is None:
        return []
    inside = []
    for marker in layout.markers:
        points = np.array([marker.corners], np.float64)
        seen = cv2.perspectiveTransform(points, homography)[0]
        if (seen >= 0).all() and (seen[:, 0] < size[0]).all() and (seen[:, 1] < size[1]).all():
            inside.append(marker.id)
    return inside


def _manifest_row(job: PhotoJob, truth: dict[str, Any], jpeg: bytes) -> dict[str, Any]:
    return {
        "index": job.index,
        "photo": truth["photo"],
        "truth": f"{job.stem}.json",
        "kind": job.kind,
        "precinct": truth["precinct"],
        "form": truth["form"],
        "seed": truth["seed"],
        "split": truth["split"],
        "width": truth["photo_size"][0],
        "height": truth["photo_size"][1],
        "sha256": hashlib.sha256(jpeg).hexdigest(),
    }
