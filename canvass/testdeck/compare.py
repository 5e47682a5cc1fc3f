"""One test sheet's reading against its script: what a county learns from its test deck.

Each field is judged on its own image (the script's numbers do not follow the sheet's
sums, so the sums are given no weight):
- `right`: the reader settled on the scripted number (a blank read as blank);
- `misread`: the reader settled on another number: the failure the deck exists to find;
- `unsure`: the reader would not settle (a person keys it from the crop on the night);
- `verified`: the image supports the scripted number with at least the probability the
  reconciler needs to clear a field against a report that gives it (0.999).

What the queue would hold is the reconciler's own answer (`reconcile_precinct`) with the
script standing in for the electronic report, the sheet's sums given no weight, and its
math findings left out (a script's numbers break the caucus math on purpose).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from canvass.forms.registry import form_of
from canvass.model import Election, FieldReading, SheetReading
from ocr.verify import support_for
from reconcile.compare import DEFAULT_CLEAR_THRESHOLD, Paper, reconcile_precinct
from reconcile.joint import SheetOdds

Outcome = Literal["right", "misread", "unsure"]
SCRIPT_SOURCE = "test script"
NO_SUMS = SheetOdds(default=1.0)


@dataclass(frozen=True)
class FieldCheck:
    """One field of a test sheet: the number scripted (None: blank), what the reader made
    of it, and the outcome."""

    key: str
    scripted: int | None
    read: int | None
    status: str
    confidence: float
    outcome: Outcome
    verified: bool


@dataclass(frozen=True)
class SheetCheck:
    """A test sheet's reading against its script; `queue`: per item kind, how many items
    the queue would hold for it."""

    fields: tuple[FieldCheck, ...]
    queue: dict[str, int]

    def count(self, outcome: Outcome) -> int:
        return sum(1 for f in self.fields if f.outcome == outcome)

    @property
    def verified(self) -> int:
        return sum(1 for f in self.fields if f.verified)

    @property
    def misreads(self) -> tuple[FieldCheck, ...]:
        return tuple(f for f in self.fields if f.outcome == "misread")


def check_sheet(
    election: Election, precinct: str, script: Mapping[str, int | None], reading: SheetReading
) -> SheetCheck:
    """Compare every scripted field with `reading` (see the module's docstring)."""
    checks = tuple(
        check_field(key, scripted, reading.fields.get(key)) for key, scripted in script.items()
    )
    return SheetCheck(checks, would_queue(election, precinct, script, reading))


def check_field(key: str, scripted: int | None, field: FieldReading | None) -> FieldCheck:
    """One field: a blank counts as 0 (`docs/contracts.md` section 6), so a blank read
    where "0" was scripted is right, and the other way round."""
    expected = scripted or 0
    if field is None:
        return FieldCheck(key, scripted, None, "unreadable", 0.0, "unsure", False)
    settled = field.status in ("ok", "blank")
    value = (field.value or 0) if settled else field.value
    if not settled:
        outcome: Outcome = "unsure"
    else:
        outcome = "right" if value == expected else "misread"
    verified = bool(field.boxes) and (
        support_for(field, expected).probability >= DEFAULT_CLEAR_THRESHOLD
    )
    return FieldCheck(key, scripted, field.value, field.status, field.confidence, outcome, verified)


def would_queue(
    election: Election, precinct: str, script: Mapping[str, int | None], reading: SheetReading
) -> dict[str, int]:
    """Per item kind, the items reconciling this reading against a report of the script
    would raise (math findings left out; the sheet's sums given no weight)."""
    keys = set(form_of(election).reported_keys(election.candidates))
    report = {k: float(v or 0) for k, v in script.items() if k in keys}
    paper = Paper(0, reading.model_copy(update={"test_sheet": None}))
    result = reconcile_precinct(election, precinct, paper, {SCRIPT_SOURCE: report}, odds=NO_SUMS)
    kinds = Counter(d.kind for d in result.discrepancies if d.kind != "math_finding")
    return dict(sorted(kinds.items()))
