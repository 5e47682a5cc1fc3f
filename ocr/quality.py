"""Photo quality checks on a located sheet that say precisely why it cannot be read.

Thresholds were set on generated photos (canvass synth: good photos against the `blurred`,
`glare` and `not_a_worksheet` rejects; see README "Reading photos") and are checked by the
benchmark on photos never used to set them.
"""

from __future__ import annotations

import numpy as np

from canvass.errors import RefusedError
from canvass.worksheet.layout import Box, WorksheetLayout
from ocr.page import LocatedSheet, cut_region

GLARE_CONTRAST_MIN = 30.0  # grey levels between ink/border and paper inside a field


def check_glare(sheet: LocatedSheet, layout: WorksheetLayout) -> None:
    """Refuse when glare washes out the boxes of a row: say which row."""
    washed: list[str] = []
    for field in layout.fields:
        first, last = field.boxes[0], field.boxes[-1]
        strip_box = Box(first.x, first.y, last.x + last.w - first.x, first.h)
        strip = cut_region(sheet, strip_box, 24 * len(field.boxes), 24, 0.05)
        contrast = float(np.percentile(strip, 95) - np.percentile(strip, 3))
        if contrast < GLARE_CONTRAST_MIN:
            washed.append(_row_name(layout, field.key))
    if washed:
        rows = list(dict.fromkeys(washed))
        shown = ", ".join(rows[:3]) + (" ..." if len(rows) > 3 else "")
        raise RefusedError(
            f"glare over the {shown} row{'s' if len(rows) > 1 else ''}: tilt the sheet or "
            "move away from the light and retake"
        )


def _row_name(layout: WorksheetLayout, key: str) -> str:
    """The row a field is in, as the sheet prints it (a candidate, a ballot line, the
    totals row), or a header field's title in lower case."""
    return layout.spec.row_of(key) or layout.spec.label(key).lower()
