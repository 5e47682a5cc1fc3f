"""The real handwritten digits in `canvass/data/handwriting/digits.png`, split once for everyone,
and a second population of writers (Semeion's, `fixtures/handwriting/`) for measuring only.

5,000 MNIST samples, 20x20 px, grey on black, 100 a row, 50 rows; class d fills rows 5d..5d+4
(see canvass/data/handwriting/PROVENANCE.md). The split is by sample, fixed and shared by the
reader's training and the photo generator, so that no digit used to fill an evaluation
photo is ever used to train or calibrate the reader:

- `train`: 3 of every 5 samples of each class (3,000) -- fitting the recogniser
- `calibrate`: 1 of every 5 (1,000) -- choosing confidence bands, and filling calibration photos
- `evaluate`: 1 of every 5 (1,000) -- filling the photos the benchmark measures on

Semeion's 1,593 digits by about 80 people outside NIST are split by writer, not by sample:
whole rounds of the file (see fixtures/handwriting/PROVENANCE.md) go to `calibrate` or
`evaluate`, so the benchmark can fit confidence bands on one population, or on some Semeion
writers, and measure on writers it was not fitted on. None of it is trained on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from numpy.typing import NDArray

from canvass.errors import InputError, NotFoundError

Split = Literal["train", "calibrate", "evaluate"]
SPLITS: tuple[Split, ...] = ("train", "calibrate", "evaluate")
SAMPLE_SIZE = 20
PER_ROW = 100
ROWS_PER_CLASS = 5


@dataclass(frozen=True)
class DigitSamples:
    """Samples of one split: `images[i]` (20x20 uint8, ink bright on black) shows `labels[i]`;
    `ids[i]` is the sample's index in digits.png (row * 100 + column), for ground truth."""

    images: NDArray[np.uint8]
    labels: NDArray[np.int64]
    ids: NDArray[np.int64]


def split_of(sample_id: int) -> Split:
    """Which split a sample (its index in digits.png) belongs to."""
    k = sample_id % 5
    return "train" if k < 3 else ("calibrate" if k == 3 else "evaluate")


def load_digits(path: Path, split: Split) -> DigitSamples:
    """The samples of `split`, in digits.png order."""
    sheet = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if sheet is None:
        raise NotFoundError(f"{path}: cannot read the handwriting samples; restore fixtures/")
    rows, cols = sheet.shape[0] // SAMPLE_SIZE, sheet.shape[1] // SAMPLE_SIZE
    tiles = sheet[: rows * SAMPLE_SIZE, : cols * SAMPLE_SIZE]
    grid = tiles.reshape(rows, SAMPLE_SIZE, cols, SAMPLE_SIZE).swapaxes(1, 2)
    cells = grid.reshape(rows * cols, SAMPLE_SIZE, SAMPLE_SIZE).astype(np.uint8)
    ids = np.arange(rows * cols, dtype=np.int64)
    labels = (ids // PER_ROW) // ROWS_PER_CLASS
    keep = np.array([split_of(int(i)) == split for i in ids])
    return DigitSamples(images=cells[keep].copy(), labels=labels[keep], ids=ids[keep])


SEMEION_TILE = 40
SEMEION_SPLITS: dict[Split, tuple[int, ...]] = {
    "train": (),
    "calibrate": (0, 1, 2),
    "evaluate": (3, 4, 5),
}
"""Which rounds of semeion.csv (writer-disjoint blocks, see `semeion_rounds`) form each split.
Nothing of Semeion is trained on."""
MNIST_ASPECT = (0.93, 0.48, 0.93, 0.83, 0.8, 1.0, 0.73, 0.79, 0.79, 0.67)
"""Median ink width / height of each digit 0-9 in digits.png's `train` split (measured
2026-12-06): Semeion's scans were stretched to fill a square, which lost each digit's own
proportions, so a Semeion digit is narrowed back to these before it is written."""


def is_semeion(path: Path) -> bool:
    """A handwriting source in Semeion's CSV layout (digits.png is the other kind)."""
    return path.suffix.lower() == ".csv"


def load_samples(path: Path, split: Split) -> DigitSamples:
    """The samples of `split` from either source: digits.png or Semeion's CSV."""
    return load_semeion(path, split) if is_semeion(path) else load_digits(path, split)


def read_semeion(path: Path) -> tuple[NDArray[np.uint8], NDArray[np.int64]]:
    """Every sample of a Semeion CSV (16x16, 1 = ink) and its label, in file order."""
    try:
        lines = path.read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise NotFoundError(
            f"{path}: cannot read the Semeion handwriting ({exc}); give the path of "
            "fixtures/handwriting/semeion.csv"
        ) from exc
    rows = [line.split(",") for line in lines if line.strip() and not line.startswith("#")]
    if not rows or any(len(r) != 257 for r in rows):
        raise InputError(
            f"{path}: not Semeion's layout (256 pixels and a digit a line); restore "
            "fixtures/handwriting/semeion.csv"
        )
    table = np.asarray(rows, dtype=np.int64)
    return table[:, :256].reshape(-1, 16, 16).astype(np.uint8), table[:, 256]


def semeion_rounds(labels: NDArray[np.int64]) -> list[range]:
    """The file's rounds: runs in which the labels go up from 0 to 9 (each a group of
    people writing every digit twice), split where a label is lower than the one before."""
    starts = [0, *(i for i in range(1, len(labels)) if labels[i] < labels[i - 1])]
    ends = [*starts[1:], len(labels)]
    return [range(a, b) for a, b in zip(starts, ends, strict=True)]


def semeion_tile(square: NDArray[np.uint8], digit: int) -> NDArray[np.uint8]:
    """A Semeion sample as a 40x40 grey tile, ink bright on black like digits.png's: narrowed
    to the digit's usual proportions (`MNIST_ASPECT`) and smoothed so that a pen's soft
    threshold draws a round stroke rather than 16x16 stairs."""
    height = SEMEION_TILE - 4
    width = max(4, round(height * MNIST_ASPECT[digit]))
    ink = square.astype(np.float32) * 255.0
    scaled = cv2.resize(ink, (width, height), interpolation=cv2.INTER_LINEAR)
    tile = np.zeros((SEMEION_TILE, SEMEION_TILE), np.float32)
    left = (SEMEION_TILE - width) // 2
    tile[2 : 2 + height, left : left + width] = scaled
    smooth = cv2.GaussianBlur(tile, (0, 0), 1.0)
    return np.clip(smooth, 0, 255).astype(np.uint8)


def load_semeion(path: Path, split: Split) -> DigitSamples:
    """The samples of `split` (`SEMEION_SPLITS`) as tiles; ids are line numbers in the file
    (comment lines not counted). `train` is refused: the reader never learns from Semeion."""
    if not SEMEION_SPLITS[split]:
        raise InputError(f"Semeion's writers are kept for measuring; it has no {split!r} split")
    squares, labels = read_semeion(path)
    rounds = semeion_rounds(labels)
    ids = np.asarray([i for r in SEMEION_SPLITS[split] for i in rounds[r]], np.int64)
    images = np.stack([semeion_tile(squares[i], int(labels[i])) for i in ids])
    return DigitSamples(images=images, labels=labels[ids].copy(), ids=ids)
