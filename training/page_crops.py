"""Labelled digit-box crops cut from generated worksheet photos, for training and calibration.

Why: box renderings (`training.augment`) imitate what the reader sees, but the reader's real
input is a box cut out of a perspective-corrected phone photo (lens blur, JPEG, shadows,
ink over the printed border, struck-through numbers). The photo generator
(`canvass.synth`) makes exactly that, with ground truth per box, from one split of the
handwriting samples. So training uses crops of photos written with `train` samples, and
calibration crops of photos written with `calibrate` samples; `evaluate` is never touched
here (the benchmark measures on it).

Each photo is made in memory (`canvass.synth.generate.make_photo`, seeded by (seed, index),
so a set is reproducible), located and cut exactly as `ocr.read.read_fields` does. Labels
per box: `BLANK` (-1) nothing written, 0-9 the digit, `REJECT` (10) a box holding a
struck-through digit with the correction written over it. `crossing` says whether the
field's ink crossed its printed border (the generator's ground truth).
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from multiprocessing import get_context
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from canvass.elections.iowa2020 import build_iowa2020
from canvass.errors import InputError
from canvass.handwriting import Split
from canvass.model import Election
from canvass.settings import BUILTIN_DATA
from canvass.synth.fill import DigitBank
from canvass.synth.generate import PhotoJob, SynthConfig, make_photo, plan_jobs
from canvass.synth.sources import certified_units
from canvass.worksheet.layout import build_layout
from canvass.worksheet.render import WorksheetRenderer
from ocr.page import cut_region, decode_photo, locate_sheet

BLANK = -1
REJECT = 10
BOX_PIXELS = 64  # as ocr.read cuts them
BOX_MARGIN = 0.08
FIXTURES = BUILTIN_DATA


@dataclass(frozen=True)
class PageCrops:
    """Box crops (N, 64, 64) uint8 with a label each, and which photo and field they are of."""

    crops: NDArray[np.uint8]
    labels: NDArray[np.int64]
    crossing: NDArray[np.bool_]
    photo: NDArray[np.int64]

    @staticmethod
    def join(parts: list[PageCrops]) -> PageCrops:
        """One set from several, in order."""
        return PageCrops(
            np.concatenate([p.crops for p in parts]).reshape(-1, BOX_PIXELS, BOX_PIXELS),
            np.concatenate([p.labels for p in parts]).astype(np.int64),
            np.concatenate([p.crossing for p in parts]).astype(bool),
            np.concatenate([p.photo for p in parts]).astype(np.int64),
        )


@lru_cache(maxsize=1)
def iowa() -> Election:
    """The built-in election (once per process)."""
    return build_iowa2020(FIXTURES / "iowa2020")


def box_labels(truth: dict[str, Any], boxes: int) -> list[int]:
    """One label per box of a field from its ground truth (see the module docstring)."""
    labels = [BLANK] * boxes
    for index, char in zip(truth["boxes"], truth["text"], strict=True):
        if 0 <= index < boxes:
            labels[index] = int(char)
    for index in (truth.get("crossed_out") or {}).get("boxes", []):
        if 0 <= index < boxes:
            labels[index] = REJECT
    return labels


def photo_crops(jobs: list[PhotoJob], split: Split, seed: int) -> PageCrops:
    """Makes each job's photo in memory and cuts every digit box (one worker's share)."""
    cv2.setNumThreads(1)
    election = iowa()
    layout = build_layout(election)
    renderer = WorksheetRenderer(layout, election)
    bank = DigitBank.load(FIXTURES / "handwriting" / "digits.png", split)
    config = SynthConfig(
        seed=seed, split=split, digits_path=FIXTURES / "handwriting" / "digits.png"
    )
    crops: list[NDArray[np.uint8]] = []
    labels: list[int] = []
    crossing: list[bool] = []
    photos: list[int] = []
    for job in jobs:
        jpeg, truth = make_photo(job, config, renderer, bank)
        sheet = locate_sheet(decode_photo(jpeg), layout)
        for field in layout.fields:
            known = truth["fields"].get(field.key)
            if known is None:
                continue
            labels += box_labels(known, len(field.boxes))
            crossing += [bool(known["crosses_border"])] * len(field.boxes)
            photos += [job.index] * len(field.boxes)
            crops += [cut_region(sheet, b, BOX_PIXELS, BOX_PIXELS, BOX_MARGIN) for b in field.boxes]
    return PageCrops(
        np.array(crops, np.uint8).reshape(-1, BOX_PIXELS, BOX_PIXELS),
        np.array(labels, np.int64),
        np.array(crossing, bool),
        np.array(photos, np.int64),
    )


def make_page_crops(split: Split, seed: int, count: int, workers: int) -> PageCrops:
    """Crops of `count` good photos written with `split` samples, on `workers` processes
    (spawned: forking a process whose OpenCV pool has run can deadlock)."""
    if split == "evaluate":
        raise InputError("evaluate photos are for the benchmark only, never for fitting")
    jobs = plan_jobs(certified_units(FIXTURES, iowa()), count, seed, 0.0)
    shares = [jobs[i::workers] for i in range(workers)]
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        parts = list(pool.map(photo_crops, shares, [split] * workers, [seed] * workers))
    return PageCrops.join(parts)
