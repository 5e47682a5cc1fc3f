"""What a chair writes on the sheet for a tally: one number per field key.

The viability threshold written is the rule's value, computed here on purpose (the math
engine in `reconcile/` is someone else's, and the generator must not depend on it):
threshold = ceil(attendees x fraction), fraction by delegates elected: 1 -> more than half
(floor(attendees / 2) + 1), 2 -> 25%, 3 -> 1/6, 4 or more -> 15%.
"""

from __future__ import annotations

from fractions import Fraction

from canvass.model import Tally
from canvass.worksheet.layout import WorksheetLayout

FRACTIONS = {2: Fraction(1, 4), 3: Fraction(1, 6)}
DEFAULT_FRACTION = Fraction(15, 100)


def viability_threshold(attendees: int, delegates: int) -> int:
    """The rule's threshold (exact: rational arithmetic, so 15% of 20 is 3, not 3.0000001)."""
    if attendees <= 0:
        return 0
    if delegates == 1:
        return attendees // 2 + 1
    fraction = FRACTIONS.get(delegates, DEFAULT_FRACTION)
    product = attendees * fraction
    return int(-(-product.numerator // product.denominator))


def with_threshold(tally: Tally) -> Tally:
    """The tally with the threshold the sheet shows (the rule's, unless it already has one)."""
    if tally.viability_threshold is not None:
        return tally
    delegates = tally.delegates_to_elect or 0
    threshold = viability_threshold(tally.attendees, delegates)
    return tally.model_copy(update={"viability_threshold": threshold})


def field_values(tally: Tally, layout: WorksheetLayout, satellite: bool) -> dict[str, int]:
    """Every field key of the sheet (in layout order) and the number written there.

    Satellite sheets also carry `delegates_to_elect` (elected by attendance, written by hand).
    """
    values: dict[str, int] = {}
    if satellite:
        values["delegates_to_elect"] = tally.delegates_to_elect or 0
    delegates = tally.county_delegates or {}
    for field in layout.fields:
        group, _, candidate = field.key.partition(".")
        if field.key == "attendees":
            values[field.key] = tally.attendees
        elif field.key == "viability_threshold":
            values[field.key] = tally.viability_threshold or 0
        elif group == "first":
            values[field.key] = tally.first.get(candidate, 0)
        elif group == "final":
            values[field.key] = tally.final.get(candidate, 0)
        elif group == "county_delegates":
            values[field.key] = delegates.get(candidate, 0)
    return values
