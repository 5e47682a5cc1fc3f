"""Writing across a field's outer border, on the real rendered worksheet (no camera): the
printed neighbours (other rows' boxes, labels, rules) must never pass for writing, and a
stroke that leaves the comb must be seen next to the right box."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from canvass.elections.iowa2020 import build_iowa2020
from canvass.settings import BUILTIN_DATA
from canvass.worksheet.layout import WorksheetLayout, build_layout
from canvass.worksheet.render import WorksheetRenderer
from ocr.crossing import crossing_flags
from ocr.page import LocatedSheet

IOWA = build_iowa2020(BUILTIN_DATA / "iowa2020")


@pytest.fixture(scope="module")
def layout() -> WorksheetLayout:
    return build_layout(IOWA)


@pytest.fixture(scope="module")
def page(layout: WorksheetLayout) -> np.ndarray:  # type: ignore[type-arg]
    precinct = next(p for p in IOWA.precincts if p.county == "Adair")
    return WorksheetRenderer(layout, IOWA).render_array(precinct)


def as_sheet(image: np.ndarray, dim: float) -> LocatedSheet:  # type: ignore[type-arg]
    """The page as a photo of dim paper, slightly blurred (where printed lines break up)."""
    photo = cv2.GaussianBlur((image.astype(np.float32) * dim).astype(np.uint8), (0, 0), 1.2)
    return LocatedSheet(np.asarray(photo, np.uint8), np.eye(3), 1.0)


@pytest.mark.parametrize("dim", [1.0, 0.6])
def test_the_printed_form_alone_crosses_nothing(layout: WorksheetLayout, page, dim) -> None:  # type: ignore[no-untyped-def]
    flags = crossing_flags(as_sheet(page, dim), layout)
    assert len(flags) == sum(len(f.boxes) for f in layout.fields)
    assert not any(flags)


def flags_of(layout: WorksheetLayout, flags: list[bool], key: str) -> list[bool]:
    field = layout.field(key)
    start = sum(len(f.boxes) for f in layout.fields[: layout.fields.index(field)])
    return flags[start : start + len(field.boxes)]


def test_a_straight_stroke_below_a_box_flags_it_and_the_box_below(
    layout: WorksheetLayout,
    page,  # type: ignore[no-untyped-def]
) -> None:
    """A 1's stem run down into the next row: ink in the gap between two rows belongs to
    either, so both boxes it touches are flagged, and nothing else."""
    last = layout.field("first.Biden").boxes[-1]
    written = page.copy()
    x = last.x + last.w // 2
    cv2.line(written, (x, last.y + 30), (x + 4, last.y + last.h + 30), 30, 5)
    flags = crossing_flags(as_sheet(written, 0.8), layout)
    assert flags_of(layout, flags, "first.Biden") == [False, False, False, True]
    assert flags_of(layout, flags, "first.Bloomberg") == [False, False, False, True]
    assert sum(flags) == 2
