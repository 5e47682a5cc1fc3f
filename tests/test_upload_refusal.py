"""Telling "too blurred" from "not a worksheet" when no corner marker is found
(`ocr.refusal`), on the committed generated photos and on a blank page on a pale table: the
case the old edge-strength test called blurred. The full measure over many photos is
`python -m bench.refusals`."""

from __future__ import annotations

import cv2
import numpy as np

from canvass.settings import REPO_ROOT
from ocr.page import decode_photo
from ocr.refusal import BLURRED, NOT_A_WORKSHEET, SHARP_MIN, explain_missing_markers, measure

SMALL = REPO_ROOT / "fixtures" / "photos" / "small"


def blank_page_on_a_table(blur_px: float) -> np.ndarray:
    """A white page on a pale grey table, in a 2448x3264 frame, with camera noise; blurred
    by `blur_px` (Gaussian sigma, full-size pixels) before the noise, as a camera does."""
    rng = np.random.default_rng(5)
    frame = np.full((3264, 2448), 178, np.uint8)
    page = np.array([[400, 500], [2050, 560], [1990, 2800], [350, 2720]], np.int32)
    cv2.fillPoly(frame, [page], 214, cv2.LINE_AA)
    if blur_px:
        frame = cv2.GaussianBlur(frame, (0, 0), blur_px)
    noisy = frame.astype(np.float32) + rng.normal(0, 3.0, frame.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def test_the_committed_reject_photos_get_their_reason() -> None:
    blurred = decode_photo((SMALL / "photo-00007.jpg").read_bytes())  # kind: blurred
    scene = decode_photo((SMALL / "photo-00015.jpg").read_bytes())  # kind: not_a_worksheet
    assert explain_missing_markers(blurred).message == BLURRED
    assert explain_missing_markers(scene).message == NOT_A_WORKSHEET


def test_a_blank_page_on_a_pale_table_is_not_called_blurred() -> None:
    """Faint edges (contrast 36 of 255) are still steep: it is not a worksheet. The same
    scene out of focus (sigma 14 px, the generator's `blurred` range) is too blurred."""
    sharp = measure(blank_page_on_a_table(0.8))
    soft = measure(blank_page_on_a_table(14.0))
    assert sharp.sharpness > SHARP_MIN > soft.sharpness
    assert explain_missing_markers(blank_page_on_a_table(0.8)).message.startswith(
        "this is not a worksheet"
    )
    assert explain_missing_markers(blank_page_on_a_table(14.0)).message == BLURRED
