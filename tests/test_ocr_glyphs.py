"""Writing that crosses its boxes, cut digit by digit (`ocr.glyphs`), on the real rendered
worksheet with real handwritten digits (held-out `evaluate` samples) and the real model."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from canvass.elections.iowa2020 import build_iowa2020
from canvass.handwriting import DigitSamples, load_digits
from canvass.settings import BUILTIN_DATA
from canvass.worksheet.layout import WorksheetLayout, build_layout
from canvass.worksheet.render import WorksheetRenderer
from ocr.digits import load_engine
from ocr.glyphs import printed_around, recut_boxes
from ocr.page import LocatedSheet, cut_region
from ocr.read import BOX_MARGIN, BOX_PIXELS, ModelBoxes, PhotoReader, reread_crossing

IOWA = build_iowa2020(BUILTIN_DATA / "iowa2020")
KEY = "final.Sanders"
Page = NDArray[np.uint8]


@pytest.fixture(scope="module")
def layout() -> WorksheetLayout:
    return build_layout(IOWA)


@pytest.fixture(scope="module")
def page(layout: WorksheetLayout) -> Page:
    precinct = next(p for p in IOWA.precincts if p.county == "Adair")
    return WorksheetRenderer(layout, IOWA).render_array(precinct)


@pytest.fixture(scope="module")
def samples() -> DigitSamples:
    return load_digits(BUILTIN_DATA / "handwriting" / "digits.png", "evaluate")


def clear_sample(samples: DigitSamples, digit: int) -> NDArray[np.uint8]:
    """A sample of `digit` that the model reads surely when it sits inside its box."""
    engine = load_engine()
    for image, label in zip(samples.images, samples.labels, strict=True):
        if label != digit:
            continue
        crop = np.full((BOX_PIXELS, BOX_PIXELS), 235, np.uint8)
        ink = cv2.resize(image, (40, 40), interpolation=cv2.INTER_CUBIC).astype(np.float32) / 255
        crop[12:52, 12:52] = (235 * (1 - 0.85 * ink)).astype(np.uint8)
        reading = engine.classify([crop])[0]
        if reading.digit == digit and reading.confidence > 0.999:
            return image
    raise AssertionError(f"no clear sample of {digit}")


def write(page: Page, image: NDArray[np.uint8], x: int, y: int, size: int = 62) -> Page:
    """Darkens the page with a digit sample `size` px tall, its top left at (x, y)."""
    out = page.copy()
    ink = cv2.resize(image, (size, size), interpolation=cv2.INTER_CUBIC).astype(np.float32) / 255
    region = out[y : y + size, x : x + size].astype(np.float32)
    out[y : y + size, x : x + size] = (region * (1 - 0.9 * ink)).astype(np.uint8)
    return out


def sheet_of(page: Page) -> LocatedSheet:
    photo = cv2.GaussianBlur(page, (0, 0), 1.0)
    return LocatedSheet(np.asarray(photo, np.uint8), np.eye(3), 1.0)


def test_a_digit_over_the_comb_edge_is_cut_whole_and_read(
    layout: WorksheetLayout, page: Page, samples: DigitSamples
) -> None:
    """A 1 in the third box and a 2 running over the comb's right edge: the box crop of the
    2 is refused; the new cut reads "12"."""
    field = layout.field(KEY)
    third, last = field.boxes[2], field.boxes[3]
    one, two = clear_sample(samples, 1), clear_sample(samples, 2)
    written = write(page, one, third.x + 14, third.y + 14)
    written = write(written, two, last.x + last.w - 34, last.y + 12)
    sheet = sheet_of(written)
    recut = recut_boxes(sheet, field, printed_around(layout)[KEY], BOX_PIXELS, BOX_MARGIN)
    assert recut is not None and len(recut.crops) == 4 and recut.on_lines
    readings = load_engine().classify(recut.crops)
    assert [r.blank for r in readings] == [True, True, False, False]
    assert (readings[2].digit, readings[3].digit) == (1, 2)
    boxed = [cut_region(sheet, b, BOX_PIXELS, BOX_PIXELS, BOX_MARGIN) for b in field.boxes]
    assert not load_engine().classify(boxed)[3].accepted  # the box alone holds half a 2


def test_the_reader_rereads_only_the_crossing_field_and_keeps_its_doubt_elsewhere(
    layout: WorksheetLayout, page: Page, samples: DigitSamples
) -> None:
    field = layout.field(KEY)
    last = field.boxes[3]
    written = write(page, clear_sample(samples, 2), last.x + last.w - 34, last.y + 12)
    sheet = sheet_of(written)
    fields = layout.fields
    crops = [
        cut_region(sheet, b, BOX_PIXELS, BOX_PIXELS, BOX_MARGIN) for f in fields for b in f.boxes
    ]
    rows = ModelBoxes().box_probabilities(crops)
    flags = [False] * len(rows)
    start = sum(len(f.boxes) for f in fields[: fields.index(field)])
    reader = PhotoReader(layout, frozenset(), ModelBoxes())
    new_rows, new_flags = reread_crossing(sheet, reader, rows, flags)
    assert new_rows[start + 3, 3] > 0.99  # P(2), was refused
    assert rows[start + 3, 1:].sum() < 0.9
    others = [i for i in range(len(rows)) if not start <= i < start + 4]
    np.testing.assert_array_equal(new_rows[others], rows[others])
    assert not any(new_flags)


def test_a_struck_through_number_is_not_cut(
    layout: WorksheetLayout, page: Page, samples: DigitSamples
) -> None:
    """Digits under a stroke across the field cannot be told apart: the boxes' own (refused)
    reading stands."""
    field = layout.field(KEY)
    third, last = field.boxes[2], field.boxes[3]
    written = write(page, clear_sample(samples, 3), third.x + 14, third.y + 14)
    written = write(written, clear_sample(samples, 4), last.x + 14, last.y + 14)
    y = third.y + third.h // 2
    cv2.line(written, (third.x - 8, y + 6), (last.x + last.w + 8, y - 6), 30, 6)
    assert (
        recut_boxes(sheet_of(written), field, printed_around(layout)[KEY], BOX_PIXELS, BOX_MARGIN)
        is None
    )


def test_an_empty_field_cuts_to_plain_paper(layout: WorksheetLayout, page: Page) -> None:
    field = layout.field(KEY)
    recut = recut_boxes(sheet_of(page), field, printed_around(layout)[KEY], BOX_PIXELS, BOX_MARGIN)
    assert recut is not None and not recut.on_lines
    assert all(r.blank for r in load_engine().classify(recut.crops))
    assert all(int(c.max()) - int(c.min()) == 0 for c in recut.crops)


def test_writing_inside_its_boxes_is_not_on_the_lines(
    layout: WorksheetLayout, page: Page, samples: DigitSamples
) -> None:
    """A plain digit well inside its box: the new cut says so, and the reader keeps the
    box's own reading (no second try at a plain digit)."""
    field = layout.field(KEY)
    last = field.boxes[3]
    written = write(page, clear_sample(samples, 7), last.x + 16, last.y + 16, size=56)
    recut = recut_boxes(
        sheet_of(written), field, printed_around(layout)[KEY], BOX_PIXELS, BOX_MARGIN
    )
    assert recut is not None and not recut.on_lines
    assert [bool(c.min() < c.max()) for c in recut.crops] == [False, False, False, True]


def test_a_digit_reaching_the_next_rows_border_is_still_cut_whole(
    layout: WorksheetLayout, page: Page, samples: DigitSamples
) -> None:
    """A 7 hanging down over its own box's bottom and onto the top border of the box below
    (but not into it): that border is painted out like the field's own, and the 7 is read."""
    field = layout.field(KEY)
    last = field.boxes[3]
    below = min(
        (b for f in layout.fields for b in f.boxes if b.x == last.x and b.y > last.y),
        key=lambda b: b.y,
    )
    seven = clear_sample(samples, 7)
    size = 80
    rows = np.flatnonzero(cv2.resize(seven, (size, size)).max(axis=1) > 60)
    top = below.y - int(rows[-1])  # the ink's lowest row on the next box's top border
    written = write(page, seven, last.x + 8, top, size=size)
    around = printed_around(layout)[KEY]
    assert below in around.boxes
    recut = recut_boxes(sheet_of(written), field, around, BOX_PIXELS, BOX_MARGIN)
    assert recut is not None and recut.on_lines
    reading = load_engine().classify(recut.crops)[3]
    assert (reading.digit, reading.confidence > 0.99) == (7, True)
