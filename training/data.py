"""The digit model's training and calibration sets: labelled box crops, preprocessed.

Four sources, each for a reason:
- box renderings of the MNIST samples of the split (`training.augment`), with not-a-single-digit
  boxes (two digits, struck out, scribbled, cut by the edge) and blank boxes;
- box renderings of the MNIST test set (`training.mnist_test`, training only): 10,000 digits by
  writers none of digits.png's samples come from, so more hands and no benchmark writer;
- box renderings of digits from Debian's handwriting fonts (`training.font_digits`, training
  only): other hands than MNIST's few thousand writers;
- boxes cut from generated worksheet photos written with the split's samples
  (`training.page_crops`): exactly what the reader sees, struck-through corrections included.

Every crop goes through `ocr.digit_prep.prepare`, as in the reader; crops that come out
blank are left out (the reader never asks the network about them), and a blank box that
still shows marks is labelled "not a single digit". Negatives whose ink runs off the crop
(`EDGE_INK`) are left out too: the reader caps such a box at `EDGE_CAP` whatever the
network says, and what is left of a digit cut by the crop edge is often a whole-looking 1,
7 or 2, so learning to call it "not a digit" taught the network to refuse real ones (it
was the commonest way a true digit went unverified). Boxes of fields whose writing crosses
the printed border are left out of training: part of the digit may be outside the box,
so its label is not what the crop shows. Deterministic for the seeds in the plan.
"""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from canvass.errors import NotReadyError
from canvass.handwriting import Split
from canvass.settings import BUILTIN_DATA
from ocr.digit_prep import FRAME, GEOMETRY_SIZE, NET_FRAME, Prepared, prepare
from ocr.digits import EDGE_INK, REJECT
from training.augment import BLANK, render
from training.digit_metrics import RenderPlan, render_split
from training.font_digits import load_font_digits
from training.mnist_test import test_digits
from training.page_crops import make_page_crops

DIGITS_PNG = BUILTIN_DATA / "handwriting" / "digits.png"
SOURCES = ("mnist", "fonts", "pages", "mnist-test")
FIELDS = ("frames", "geometry", "labels", "edge", "source", "binary")
SET_VERSION = 4  # bump when the preprocessing changes: cached sets are rebuilt
CHUNK = 2000


@dataclass(frozen=True)
class SetPlan:
    """What to put in one set: MNIST renderings (variants per sample, negatives, blanks),
    font renderings (variants per font digit; 0 for none), generated photos and MNIST
    test set renderings (variants per sample; 0 for none)."""

    split: Split
    seed: int
    variants: int
    negatives: int
    blanks: int
    font_variants: int
    photos: int
    writer_variants: int = 0


@dataclass(frozen=True)
class PreparedSet:
    """Network inputs of the non-blank crops: frames (N, 28, 28) uint8 (the grey glyphs),
    geometry (N, 9), labels (N,) 0-9 or REJECT, edge ink (N,), source (N,) (an index into
    SOURCES) and binary (N, 20, 20), the frames the SVM and the numpy convnet read."""

    frames: NDArray[np.uint8]
    geometry: NDArray[np.float32]
    labels: NDArray[np.int64]
    edge: NDArray[np.int64]
    source: NDArray[np.int64]
    binary: NDArray[np.uint8]

    def items(self) -> list[Prepared]:
        """The crops as `Prepared` records again (for the full digit model)."""
        return [
            Prepared(False, 0, int(e), b, g, f)
            for e, b, g, f in zip(self.edge, self.binary, self.geometry, self.frames, strict=True)
        ]

    def save(self, path: Path) -> None:
        """Writes the set as the .npz that `training/fit_cnn.py` reads."""
        np.savez(path, **vars(self))

    @staticmethod
    def load(path: Path) -> PreparedSet:
        """Reads a set written by `save`."""
        with np.load(path) as data:
            return PreparedSet(*(data[name] for name in FIELDS))

    @staticmethod
    def join(parts: list[PreparedSet]) -> PreparedSet:
        """One set from several, in order."""
        return PreparedSet(*(np.concatenate([getattr(p, name) for p in parts]) for name in FIELDS))


def prepare_chunk(crops: list[NDArray[np.uint8]]) -> tuple[NDArray[np.generic], ...]:
    """Preprocesses crops in a worker: blank flags, frames, geometry, edge ink."""
    cv2.setNumThreads(1)
    items = [prepare(crop) for crop in crops]
    return (
        np.array([p.blank for p in items], bool),
        np.array([p.glyph for p in items], np.uint8).reshape(-1, NET_FRAME, NET_FRAME),
        np.array([p.geometry for p in items], np.float32).reshape(-1, GEOMETRY_SIZE),
        np.array([p.edge_ink for p in items], np.int64),
        np.array([p.frame for p in items], np.uint8).reshape(-1, FRAME, FRAME),
    )


def prepare_set(
    crops: list[NDArray[np.uint8]], labels: NDArray[np.int64], source: int, workers: int
) -> PreparedSet:
    """The non-blank crops' network inputs, on `workers` spawned processes."""
    chunks = [crops[i : i + CHUNK] for i in range(0, len(crops), CHUNK)]
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        parts = list(pool.map(prepare_chunk, chunks))
    blank = np.concatenate([p[0] for p in parts])
    edge = np.concatenate([p[3] for p in parts])
    labels = np.asarray(labels, np.int64)
    negative = (labels == REJECT) | (labels == BLANK)
    keep = ~blank & ~(negative & (edge >= EDGE_INK))
    kept = labels[keep].copy()
    kept[kept == BLANK] = REJECT
    return PreparedSet(
        np.concatenate([p[1] for p in parts])[keep],
        np.concatenate([p[2] for p in parts])[keep],
        kept,
        edge[keep],
        np.full(len(kept), source, np.int64),
        np.concatenate([p[4] for p in parts])[keep],
    )


def cached_set(plan: SetPlan, workers: int, path: Path) -> PreparedSet:
    """`build_set`, kept at `path` (.npz, with the plan beside it as .json) and reused
    while the plan is the same; downloads go beside it."""
    stamp = path.with_suffix(".json")
    wanted = json.dumps({"version": SET_VERSION, **asdict(plan)}, sort_keys=True)
    if path.is_file() and stamp.is_file() and stamp.read_text() == wanted:
        return PreparedSet.load(path)
    built = build_set(plan, workers, path.parent)
    built.save(path)
    stamp.write_text(wanted)
    return built


def build_set(plan: SetPlan, workers: int, downloads: Path) -> PreparedSet:
    """All the plan's sources of one split, preprocessed (see the module docstring);
    the MNIST test set is fetched into `downloads` when the plan asks for it."""
    plan_mnist = RenderPlan(plan.split, plan.seed, plan.variants, plan.negatives, plan.blanks)
    mnist = render_split(DIGITS_PNG, plan_mnist)
    parts = [prepare_set(mnist.crops, mnist.labels, 0, workers)]
    if plan.font_variants:
        fonts = load_font_digits()
        count = len(fonts.labels)
        if count == 0:
            raise NotReadyError(
                "no handwriting fonts installed: apt-get install -y "
                "$(python -m training.font_digits --packages)"
            )
        ids = np.arange(count, dtype=np.int64)
        parts.append(
            render_more_hands(
                fonts.images, ids, fonts.labels, plan.seed + 7, plan.font_variants, 1, workers
            )
        )
    if plan.photos:
        pages = make_page_crops(plan.split, plan.seed + 13, plan.photos, workers)
        clean = ~pages.crossing
        crops = list(pages.crops[clean])
        parts.append(prepare_set(crops, pages.labels[clean], 2, workers))
    if plan.writer_variants:
        other = test_digits(downloads)
        parts.append(
            render_more_hands(
                other.images,
                other.ids,
                other.labels,
                plan.seed + 17,
                plan.writer_variants,
                3,
                workers,
            )
        )
    return PreparedSet.join(parts)


def render_more_hands(
    images: NDArray[np.uint8],
    ids: NDArray[np.int64],
    labels: NDArray[np.int64],
    seed: int,
    variants: int,
    source: int,
    workers: int,
) -> PreparedSet:
    """`variants` box renderings of each sample of a source beside digits.png (fonts, the
    MNIST test set), with a tenth as many not-a-single-digit boxes drawn from them; no
    blanks (digits.png's renderings supply those)."""
    negatives = len(labels) * variants // 10
    rendered = render(images, ids, labels, seed, variants, negatives, 0)
    return prepare_set(rendered.crops, rendered.labels, source, workers)
