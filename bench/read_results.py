"""What the read benchmark measures, shared by the reading (`bench.read`) and the figures
(`bench.read_report`): one photo's result, each field's box probabilities beside the truth,
the words a rejection must name per kind of bad photo, and the usual digit confusions.

Why a module of its own: `bench.read` makes these and `bench.read_report` counts them;
with them here neither imports the other's module at load time.
"""

from __future__ import annotations

from dataclasses import dataclass

REJECT_WORDS = {
    "corner_cut": "corner",
    "blurred": "blurred",
    "glare": "glare",
    "not_a_worksheet": "not a worksheet",
}
CONFUSED = {7: 9, 9: 7, 5: 3, 3: 8, 8: 3, 4: 9, 1: 7, 0: 6, 6: 0, 2: 7}


@dataclass(frozen=True)
class FieldSample:
    photo: str
    key: str
    truth: int
    rows: list[list[float]]
    written: bool = True
    """Something is written in the field (a zero left blank is not)."""


@dataclass(frozen=True)
class PhotoResult:
    photo: str
    kind: str
    status: str
    reason: str | None
    precinct_ok: bool
    seconds: float
    fields: list[FieldSample]
    precinct: str | None = None
    """The precinct the photo shows (ground truth): its delegates for the sheet's sums."""
