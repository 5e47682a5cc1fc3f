"""Why a photo with no corner markers cannot be read: too blurred to show them, or not a
worksheet at all. Kept apart from `ocr.page` (registration) because telling the person
what they photographed is its own job, with its own thresholds.

The threshold was set on generated photos (the `blurred` and `not_a_worksheet` rejects of
`canvass synth photos`, calibration seed) and is checked on photos never used to set it,
the ones `bench.read` measures among them: `python -m bench.refusals`.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from canvass.errors import RefusedError

Gray = NDArray[np.uint8]
EDGE_SIDE = 800  # the side the edges are measured at (the long side of a reduced copy)
EDGE_SHARE = 0.001  # the strongest 0.1% of gradients: a page's outline or a few objects
FINE_SIGMA, COARSE_SIGMA = 1.0, 4.0  # px at EDGE_SIDE
SHARP_MIN = 2.12
"""`sharpness` below it: too blurred. Chosen on `bench.refusals`' calibration photos (60
`blurred`: at most 1.81; 60 `not_a_worksheet`: at least 2.49) at their geometric middle."""

BLURRED = "the photo is too blurred to read: hold the phone still and retake it"
NOT_A_WORKSHEET = (
    "this is not a worksheet (no corner markers found): photograph the precinct's sheet, "
    "the whole sheet flat in view with its four black corner squares"
)


@dataclass(frozen=True)
class Measures:
    """What `bench.refusals` records of a photo, to set and check the threshold."""

    sharpness: float
    strongest_fine: float
    strongest_coarse: float


def explain_missing_markers(image: Gray) -> RefusedError:
    """No marker was found: a photo too blurred to show them, or not a worksheet at all.

    How strong the edges are depends on what was photographed (a blank page on a pale
    table has few, faint ones) and told blur from "not a worksheet" only 6 times in 13;
    how *steep* the strongest edges are, seen finely against coarsely, does not depend on
    their contrast: a sharp edge is about 3.5 times steeper at 1 px than at 4 px, one
    blurred over several pixels under 2 times."""
    if measure(image).sharpness < SHARP_MIN:
        return RefusedError(BLURRED)
    return RefusedError(NOT_A_WORKSHEET)


def measure(image: Gray) -> Measures:
    """The strongest gradients (the top EDGE_SHARE) of a copy reduced to EDGE_SIDE px, after
    a fine and a coarse Gaussian, and their ratio (`sharpness`)."""
    factor = min(1.0, EDGE_SIDE / max(image.shape))
    small = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    grey = np.asarray(small, np.float32)
    fine = float(np.quantile(_gradient(grey, FINE_SIGMA), 1.0 - EDGE_SHARE))
    coarse = float(np.quantile(_gradient(grey, COARSE_SIGMA), 1.0 - EDGE_SHARE))
    return Measures(fine / max(coarse, 1e-3), fine, coarse)


def _gradient(image: NDArray[np.float32], sigma: float) -> NDArray[np.float32]:
    smooth = cv2.GaussianBlur(image, (0, 0), sigma)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3)
    return np.asarray(cv2.magnitude(gx, gy), np.float32)
