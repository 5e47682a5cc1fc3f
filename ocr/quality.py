"""Photo quality checks on a located sheet that say precisely why it cannot be read.

Thresholds were set on generated photos (canvass synth: good photos against the `blurred`,
`glare` and `not_a_worksheet` rejects; see README "Reading photos") and are checked by the
benchmark on photos never used to set them.
"""

from __future__ import annotations

import numpy as np

from canvass.errors import RefusedError
from canvass.worksheet.layout import Box, Field, WorksheetLayout
from ocr.page import Cut, LocatedSheet, cut_many

GLARE_CONTRAST_MIN = 30.0  # grey levels between ink/border and paper inside a field


def check_glare(sheet: LocatedSheet, layout: WorksheetLayout) -> None:
    """Refuse when glare washes out the boxes of a row: say which row."""
    contrast = row_contrast(sheet, layout)
    washed = [
        _row_name(layout, field.key)
        for field, value in zip(layout.fields, contrast, strict=True)
        if value < GLARE_CONTRAST_MIN
    ]
    if washed:
        rows = list(dict.fromkeys(washed))
        shown = ", ".join(rows[:3]) + (" ..." if len(rows) > 3 else "")
        raise RefusedError(
            f"glare over the {shown} row{'s' if len(rows) > 1 else ''}: tilt the sheet or "
            "move away from the light and retake"
        )


def row_contrast(sheet: LocatedSheet, layout: WorksheetLayout) -> list[float]:
    """Per field, grey levels between its 95th and 3rd percentile (ink and border against
    paper) in a strip of its boxes cut at 24 px a box. The strips are cut in one go, and
    strips of the same size share one percentile call (44 calls took most of the time)."""
    strips = cut_many(sheet, [glare_strip(f) for f in layout.fields])
    contrast = [0.0] * len(strips)
    by_shape: dict[tuple[int, int], list[int]] = {}
    for i, strip in enumerate(strips):
        by_shape.setdefault(strip.shape, []).append(i)
    for indices in by_shape.values():
        pixels = np.stack([strips[i].ravel() for i in indices])
        low, high = np.percentile(pixels, (3, 95), axis=1)
        for i, value in zip(indices, high - low, strict=True):
            contrast[i] = float(value)
    return contrast


def glare_strip(field: Field) -> Cut:
    """A field's boxes as one strip, 24 px a box, with 5% more on every side."""
    first, last = field.boxes[0], field.boxes[-1]
    strip = Box(first.x, first.y, last.x + last.w - first.x, first.h)
    return Cut(strip, 24 * len(field.boxes), 24, 0.05)


def _row_name(layout: WorksheetLayout, key: str) -> str:
    """The row a field is in, as the sheet prints it (a candidate, a ballot line, the
    totals row), or a header field's title in lower case."""
    return layout.spec.row_of(key) or layout.spec.label(key).lower()
