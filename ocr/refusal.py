"""Why a photo with no corner markers cannot be read: too blurred to show them, or not a
worksheet at all. Kept apart from `ocr.page` (registration) because telling the person
what they photographed is its own job, with its own thresholds.

Thresholds were set on generated photos (good ones against the `blurred` and
`not_a_worksheet` rejects of `canvass synth photos`) and are checked by `bench.read` on
photos never used to set them.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from canvass.errors import RefusedError

Gray = NDArray[np.uint8]
FINE_SIDE = 1600  # the side the markers are searched at (`ocr.page.DETECT_SIDE`)
BLUR_FINE_MAX = 45.0  # p99 |Laplacian| at FINE_SIDE: below it, nothing is sharp
BLUR_COARSE_MAX = 70.0  # ... and at 200 px, where a blank page still has a sharp outline


def explain_missing_markers(image: Gray) -> RefusedError:
    """No marker was found: a photo too blurred to show them, or not a worksheet at all."""
    fine = edge_strength(image, FINE_SIDE)
    coarse = edge_strength(image, 200)
    if fine < BLUR_FINE_MAX and coarse < BLUR_COARSE_MAX:
        return RefusedError("the photo is too blurred to read: hold the phone still and retake it")
    return RefusedError(
        "this is not a worksheet (no corner markers found): photograph a canvass "
        "Caucus Math Worksheet, the whole sheet flat in view"
    )


def edge_strength(image: Gray, side: int) -> float:
    """The 99th percentile of |Laplacian| on a copy reduced to `side` px (area resize)."""
    factor = min(1.0, side / max(image.shape))
    small = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    laplacian = cv2.Laplacian(small.astype(np.float32), cv2.CV_32F)
    return float(np.percentile(np.abs(laplacian), 99))
