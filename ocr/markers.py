"""Finding the worksheet's four ArUco markers on the detection copy, cheaply and exactly.

ArUco's search (`detectMarkers`: adaptive thresholds at three window sizes, contours,
quadrilaterals, bit decoding) costs in proportion to the pixels it looks at; on the
1,600 px detection copy it was the largest stage after decoding (about 20 ms a photo).
Most of those pixels are handwriting and printed boxes. So the markers are first looked
for on a half-size copy, only to learn where they are, and then searched for again, with
the very same detector, in a window of the detection copy around each. Every step of the
search is local (threshold windows of at most 23 px, contours, the marker's own bits), so
a window with a margin finds exactly the corners the whole copy gives, bit for bit: the
size limits, which ArUco states as shares of the image's longest side, are rescaled to
the window so that they mean the same number of pixels.

Anything short of every expected marker found once, in its window, falls back to the
whole-copy search: a photo the half-size pass cannot read fully (a cut corner, a blur, a
marker too small at half size) is searched exactly as before. Measured on 1,765 good
photos and 240 photos half of them bad (`python -m bench.markers`): the same corners of
the four markers on every photo, in 12 ms instead of 21.
"""

from __future__ import annotations

from collections.abc import Collection

import cv2
import numpy as np
from numpy.typing import NDArray

from canvass.worksheet.layout import ARUCO_DICTIONARY

Gray = NDArray[np.uint8]
Corners = dict[int, NDArray[np.float32]]
MARGIN_SHARE = 0.5  # of the marker's side, added around it for its window
MIN_MARGIN_PX = 24  # at least the largest threshold window, so the border cannot matter


def find_markers(small: Gray, expected: Collection[int]) -> Corners:
    """Marker id -> its four corners in `small`'s pixels: the expected markers exactly as
    `search(small)` gives them. When every expected marker is found in its window, other
    ids the whole search might report (a stray pattern in the handwriting) are not looked
    for; `locate_sheet` uses only the expected ones."""
    placed = _search_windows(small, expected)
    return placed if placed is not None else search(small)


def search(image: Gray) -> Corners:
    """ArUco's own search of the whole image (a repeated id keeps its last quadrilateral)."""
    return dict(_search(image, 1.0))


def _search(image: Gray, scale: float) -> list[tuple[int, NDArray[np.float32]]]:
    """Every marker found, with ArUco's size limits multiplied by `scale`."""
    corners, ids, _ = _detector(scale).detectMarkers(image)
    if ids is None:
        return []
    return [
        (int(i), np.asarray(q, np.float32).reshape(4, 2))
        for q, i in zip(corners, ids.ravel(), strict=True)
    ]


def _search_windows(small: Gray, expected: Collection[int]) -> Corners | None:
    """The markers found in windows placed by a half-size search; None when any expected
    marker is missing or found more than once, so that the caller searches it all."""
    rough = search(np.asarray(cv2.pyrDown(small), np.uint8))
    if set(expected) - set(rough):
        return None
    found: Corners = {}
    for marker in expected:
        x0, y0, x1, y1 = _window(rough[marker] * 2.0, small.shape)
        scale = max(small.shape) / max(y1 - y0, x1 - x0)
        hits = [q for i, q in _search(small[y0:y1, x0:x1], scale) if i == marker]
        if len(hits) != 1:
            return None
        found[marker] = hits[0] + np.array([x0, y0], np.float32)
    return found


def _window(quad: NDArray[np.float32], shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    low, high = quad.min(axis=0), quad.max(axis=0)
    margin = max(MIN_MARGIN_PX, MARGIN_SHARE * float(np.max(high - low)))
    x0, y0 = (max(0, int(v - margin)) for v in low)
    x1 = min(shape[1], int(np.ceil(high[0] + margin)))
    y1 = min(shape[0], int(np.ceil(high[1] + margin)))
    return x0, y0, x1, y1


def _detector(scale: float) -> cv2.aruco.ArucoDetector:
    dictionary = cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, ARUCO_DICTIONARY))
    parameters = cv2.aruco.DetectorParameters()
    parameters.minMarkerPerimeterRate *= scale
    parameters.maxMarkerPerimeterRate *= scale
    return cv2.aruco.ArucoDetector(dictionary, parameters)
