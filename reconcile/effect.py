"""What a discrepancy could move: the county delegates (and the SDE they carry) that would
change hands if the other side were right. The queue is ordered by it. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from canvass.model import Election, Tally
from reconcile.caucus_math import MathResult, compute_for_election, precinct_info

WHOLE_PRECINCT = ("missing_paper", "missing_report", "precinct_conflict", "late_evidence")


def effect_of(
    election: Election,
    precinct: str,
    kind: str,
    fields: Sequence[str],
    details: Mapping[str, Any],
    tally: Tally | None,
) -> tuple[int, Decimal]:
    """(county delegates, SDE) the discrepancy could move: the whole precinct when the
    paper or a report is missing; a math finding, the delegates its sheet gives away
    from the rule's allocation; a field, the worst of its alternatives (each source's
    report, each photo's number)."""
    info = precinct_info(election, precinct)
    per_delegate = Decimal(0)
    if info and info.sde_weight is not None and info.delegates_to_elect:
        per_delegate = info.sde_weight / info.delegates_to_elect
    whole = (info.delegates_to_elect or 0) if info else 0
    if kind in WHOLE_PRECINCT or tally is None:
        return whole, per_delegate * whole
    base = compute_for_election(tally, election)
    if kind == "math_finding":
        moved = _delegate_moves(base.allocation.delegates, tally.county_delegates or {})
        return moved, per_delegate * moved
    worst = (0, Decimal(0))
    alternatives = [*details.get("reported", {}).values(), *details.get("photos", {}).values()]
    for value in alternatives:
        moved = _moved_by(election, fields[0], value, details.get("paper"), tally, base)
        worst = max(worst, (moved, per_delegate * moved))
    return worst


def _moved_by(
    election: Election, key: str, value: int, paper: int | None, tally: Tally, base: MathResult
) -> int:
    """Delegates that would change hands if `value` were right for `key`."""
    if key.startswith("county_delegates."):
        return abs((paper or 0) - value)
    other = compute_for_election(_tally_with(tally, key, value), election)
    return _delegate_moves(base.allocation.delegates, other.allocation.delegates)


def _delegate_moves(a: Mapping[str, int], b: Mapping[str, int]) -> int:
    """Delegates that change hands between two allocations."""
    names = set(a) | set(b)
    gained = sum(max(0, b.get(c, 0) - a.get(c, 0)) for c in names)
    lost = sum(max(0, a.get(c, 0) - b.get(c, 0)) for c in names)
    return max(gained, lost)


def _tally_with(tally: Tally, key: str, value: int) -> Tally:
    measure, _, candidate = key.partition(".")
    if not candidate:
        return tally.model_copy(update={key: value})
    current = dict(getattr(tally, measure) or {})
    current[candidate] = value
    return tally.model_copy(update={measure: current})
