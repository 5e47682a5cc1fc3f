"""The real handwritten digits in `canvass/data/handwriting/digits.png`, split once for everyone.

5,000 MNIST samples, 20x20 px, grey on black, 100 a row, 50 rows; class d fills rows 5d..5d+4
(see canvass/data/handwriting/PROVENANCE.md). The split is by sample, fixed and shared by the
reader's training and the photo generator, so that no digit used to fill an evaluation
photo is ever used to train or calibrate the reader:

- `train`: 3 of every 5 samples of each class (3,000) -- fitting the recogniser
- `calibrate`: 1 of every 5 (1,000) -- choosing confidence bands, and filling calibration photos
- `evaluate`: 1 of every 5 (1,000) -- filling the photos the benchmark measures on
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from numpy.typing import NDArray

from canvass.errors import NotFoundError

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
