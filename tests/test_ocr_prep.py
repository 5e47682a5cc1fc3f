"""Box preprocessing: the blank shortcut never hides ink, and the grey frame keeps loops open."""

from __future__ import annotations

import cv2
import numpy as np

from canvass.handwriting import load_digits
from canvass.settings import BUILTIN_DATA
from canvass.synth.generate import plan_jobs
from canvass.synth.sources import certified_units
from ocr.digit_prep import (
    BLANK_AREA,
    BLANK_EXTENT,
    NET_FRAME,
    WORK_SIZE,
    as_gray,
    binarise,
    darkness,
    keep_writing,
    plainly_blank,
    prepare,
    to_work_size,
)
from training.augment import render
from training.page_crops import FIXTURES, iowa, photo_crops


def slow_blank(crop: np.ndarray) -> bool:  # type: ignore[type-arg]
    """The blank decision without the shortcut (steps 1-5 in full)."""
    ink = keep_writing(binarise(darkness(to_work_size(as_gray(crop)))))
    area = int(ink.sum())
    if area < BLANK_AREA:
        return True
    ys, xs = np.nonzero(ink)
    extent = max(ys.max() - ys.min(), xs.max() - xs.min()) + 1
    return bool(extent < BLANK_EXTENT * WORK_SIZE)


def test_the_blank_shortcut_agrees_with_the_full_steps() -> None:
    samples = load_digits(BUILTIN_DATA / "handwriting" / "digits.png", "evaluate")
    pick = np.arange(0, len(samples.labels), 10)
    rendered = render(samples.images[pick], samples.ids[pick], samples.labels[pick], 3, 1, 40, 200)
    jobs = plan_jobs(certified_units(FIXTURES, iowa()), 1, 9, 0.0)
    page = photo_crops(jobs, "calibrate", 9)
    crops = list(rendered.crops) + list(page.crops)
    shortcuts = 0
    for crop in crops:
        if plainly_blank(to_work_size(as_gray(crop))):
            shortcuts += 1
            assert slow_blank(crop)
        assert prepare(crop).blank == slow_blank(crop)
    # rendered boxes have strong light gradients; on a photographed sheet most empty
    # boxes take the shortcut
    assert shortcuts >= 0.5 * int((page.labels == -1).sum())


def test_a_faint_stroke_is_never_plainly_blank() -> None:
    box = np.full((64, 64), 200, np.uint8)
    box[:4, :] = box[-4:, :] = box[:, :4] = box[:, -4:] = 60
    assert plainly_blank(box)
    box[20:44, 31:34] = 165  # 18% darker than the paper
    assert not plainly_blank(box)
    assert not prepare(box).blank


def test_the_grey_frame_keeps_the_inside_of_a_loop_light() -> None:
    box = np.full((64, 64), 220, np.uint8)
    cv2.circle(box, (32, 24), 9, 40, 5)  # the loop of a 9, its inside 8 px wide
    cv2.line(box, (40, 26), (38, 56), 40, 5)
    prepared = prepare(box)
    assert not prepared.blank and prepared.glyph.shape == (NET_FRAME, NET_FRAME)
    rows = np.flatnonzero(prepared.glyph.max(axis=1) > 128)
    cols = np.flatnonzero(prepared.glyph.max(axis=0) > 128)
    ring = prepared.glyph[rows[0] : rows[0] + 9, cols[0] : cols[-1]]
    assert ring.max() == 255 and ring.min() < 60  # ink and, inside it, paper
