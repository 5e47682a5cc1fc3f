"""What a discrepancy could move, in the rules' own unit; the queue is ordered by it. Pure.

Where the rules allocate delegates: the county delegates (and the SDE they carry) that
would change hands if the other side were right. Where they allocate nothing: the votes,
the largest difference between the paper's number and another source's (the whole
precinct's votes when a side is missing), reported as the first number with no SDE."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from canvass.forms.caucus import DELEGATES
from canvass.forms.registry import rules_of
from canvass.forms.spec import parse_key
from canvass.model import Election, SheetNumbers, Tally
from reconcile.caucus_math import MathResult, compute_for_election, precinct_info
from reconcile.said import IN_FORCE
from reconcile.sheet_math import caucus_tally

WHOLE_PRECINCT = ("missing_paper", "missing_report", "precinct_conflict", "late_evidence")


def effect_of(
    election: Election,
    precinct: str,
    kind: str,
    fields: Sequence[str],
    details: Mapping[str, Any],
    numbers: SheetNumbers | None,
) -> tuple[int, Decimal]:
    """(county delegates or votes, SDE) the discrepancy could move: the whole precinct
    when the paper or a report is missing; a math finding, the delegates its sheet gives
    away from the rule's allocation; a field, the worst of its alternatives (each
    source's report, each photo's number)."""
    if rules_of(election).allocates != "delegates":
        return _votes_moved(kind, details, numbers), Decimal(0)
    info = precinct_info(election, precinct)
    per_delegate = Decimal(0)
    if info and info.sde_weight is not None and info.delegates_to_elect:
        per_delegate = info.sde_weight / info.delegates_to_elect
    whole = (info.delegates_to_elect or 0) if info else 0
    if kind in WHOLE_PRECINCT or numbers is None:
        return whole, per_delegate * whole
    base = compute_for_election(_tally(election, numbers), election)
    if kind == "math_finding":
        moved = _delegate_moves(base.allocation.delegates, base_delegates(election, numbers))
        return moved, per_delegate * moved
    worst = (0, Decimal(0))
    for value in _alternatives(details):
        moved = _moved_by(election, fields[0], value, _paper(details), numbers, base)
        worst = max(worst, (moved, per_delegate * moved))
    return worst


def _alternatives(details: Mapping[str, Any]) -> list[int]:
    """Every number someone or something gives for the field: each source's report, each
    photo's reading, and what a photo's sender says the sheet shows."""
    return [
        *details.get("reported", {}).values(),
        *details.get("photos", {}).values(),
        *details.get("said", {}).values(),
    ]


def _paper(details: Mapping[str, Any]) -> int | None:
    """The paper's number the alternatives are weighed against: the reading's, or for an
    uploader's statement the number that stands."""
    value = details.get("paper", details.get(IN_FORCE))
    return None if value is None else int(value)


def _votes_moved(kind: str, details: Mapping[str, Any], numbers: SheetNumbers | None) -> int:
    """The largest difference a field's alternatives make; the largest number of the
    sheet (its grand total) for a missing side; 0 for a finding (it moves no count)."""
    if kind in WHOLE_PRECINCT or numbers is None:
        return max(numbers.values.values(), default=0) if numbers else 0
    paper = _paper(details) or 0
    return max((abs(v - paper) for v in _alternatives(details) if v >= 0), default=0)


def _tally(election: Election, numbers: SheetNumbers) -> Tally:
    return caucus_tally(election, numbers.precinct, numbers.values, numbers.ticks)


def base_delegates(election: Election, numbers: SheetNumbers) -> dict[str, int]:
    """The county delegates the sheet itself gives each group."""
    return dict(_tally(election, numbers).county_delegates or {})


def _moved_by(
    election: Election,
    key: str,
    value: int,
    paper: int | None,
    numbers: SheetNumbers,
    base: MathResult,
) -> int:
    """Delegates that would change hands if `value` were right for `key`."""
    if parse_key(key)[0] == DELEGATES:
        return abs((paper or 0) - value)
    changed = numbers.model_copy(update={"values": {**numbers.values, key: value}})
    other = compute_for_election(_tally(election, changed), election)
    return _delegate_moves(base.allocation.delegates, other.allocation.delegates)


def _delegate_moves(a: Mapping[str, int], b: Mapping[str, int]) -> int:
    """Delegates that change hands between two allocations."""
    names = set(a) | set(b)
    gained = sum(max(0, b.get(c, 0) - a.get(c, 0)) for c in names)
    lost = sum(max(0, a.get(c, 0) - b.get(c, 0)) for c in names)
    return max(gained, lost)
