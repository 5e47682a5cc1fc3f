"""Validation of a whole worksheet: every problem the rules can see in the numbers.

Each `Finding` names the candidate it concerns (None for the whole sheet) and says, in
words a reviewer at headquarters understands, what the sheet has and what the rule gives.
The sheet is the legal record: findings point at problems, they never change a number.

Codes are docs/contracts.md section 4. Where a group's problem has a specific code
(NONVIABLE_GROUP_AWARDED, VIABLE_GROUP_UNAWARDED) it is not reported a second time as
ALLOCATION_MISMATCH, and a group whose count an unresolved coin toss decides is flagged
only if the sheet gives it a count no outcome of the toss could.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from canvass.forms.rules import Viability, round_half_up
from canvass.model import Tally
from reconcile.allocate import Allocation


class FindingCode(StrEnum):
    FIRST_TOTAL_MISMATCH = "FIRST_TOTAL_MISMATCH"
    FINAL_EXCEEDS_ATTENDEES = "FINAL_EXCEEDS_ATTENDEES"
    VIABLE_GROUP_SHRANK = "VIABLE_GROUP_SHRANK"
    THRESHOLD_MISMATCH = "THRESHOLD_MISMATCH"
    NONVIABLE_GROUP_AWARDED = "NONVIABLE_GROUP_AWARDED"
    VIABLE_GROUP_UNAWARDED = "VIABLE_GROUP_UNAWARDED"
    DELEGATE_TOTAL_MISMATCH = "DELEGATE_TOTAL_MISMATCH"
    ALLOCATION_MISMATCH = "ALLOCATION_MISMATCH"
    MORE_VIABLE_GROUPS_THAN_DELEGATES = "MORE_VIABLE_GROUPS_THAN_DELEGATES"
    COIN_TOSS_REQUIRED = "COIN_TOSS_REQUIRED"


@dataclass(frozen=True)
class Finding:
    code: FindingCode
    candidate: str | None
    message: str


@dataclass(frozen=True)
class Sheet:
    """What the validator compares: the tally and what the rules made of it.

    `viability` is None when the precinct has no attendees or elects no delegates; then
    only the totals can be checked.
    """

    tally: Tally
    candidates: Sequence[str]
    delegates: int
    viability: Viability | None
    viable: Sequence[str]
    allocation: Allocation

    def first(self, c: str) -> int:
        return self.tally.first.get(c, 0)

    def final(self, c: str) -> int:
        return self.tally.final.get(c, 0)

    def awarded(self, c: str) -> int:
        return (self.tally.county_delegates or {}).get(c, 0)


def validate(sheet: Sheet) -> tuple[Finding, ...]:
    """Every finding for the sheet, in the order of the codes, then of the candidates."""
    found = [
        *_first_total(sheet),
        *_final_total(sheet),
        *_shrank(sheet),
        *_threshold(sheet),
        *_awarded_checks(sheet),
        *_more_viable_than_delegates(sheet),
        *_coin_toss(sheet),
    ]
    order = list(FindingCode)
    return tuple(sorted(found, key=lambda f: order.index(f.code)))


def _first_total(sheet: Sheet) -> list[Finding]:
    total, attendees = sum(sheet.tally.first.values()), sheet.tally.attendees
    if total == attendees:
        return []
    message = f"First alignment totals {total} but {attendees} attended at the start"
    return [Finding(FindingCode.FIRST_TOTAL_MISMATCH, None, message)]


def _final_total(sheet: Sheet) -> list[Finding]:
    total, attendees = sum(sheet.tally.final.values()), sheet.tally.attendees
    if total <= attendees:
        return []
    message = f"Final alignment totals {total} but only {attendees} attended"
    return [Finding(FindingCode.FINAL_EXCEEDS_ATTENDEES, None, message)]


def _shrank(sheet: Sheet) -> list[Finding]:
    if sheet.viability is None:
        return []
    threshold = sheet.viability.threshold
    return [
        Finding(
            FindingCode.VIABLE_GROUP_SHRANK,
            c,
            f"{c} was viable in the first alignment with {sheet.first(c)} "
            f"(threshold {threshold}) but has {sheet.final(c)} in the final alignment; "
            "a viable group may not lose members",
        )
        for c in sheet.candidates
        if 0 < threshold <= sheet.first(c) and sheet.final(c) < sheet.first(c)
    ]


def _threshold(sheet: Sheet) -> list[Finding]:
    written, rule = sheet.tally.viability_threshold, sheet.viability
    if written is None or rule is None or written in rule.accepted:
        return []
    how = rule.describe(sheet.tally.attendees)
    message = (
        f"The sheet's viability threshold is {written}; the rule gives {rule.threshold} ({how})"
    )
    return [Finding(FindingCode.THRESHOLD_MISMATCH, None, message)]


def _awarded_checks(sheet: Sheet) -> list[Finding]:
    """Checks of the county delegates the sheet awards; none when the tally has no
    `county_delegates` (then the rules' allocation is the result, nothing to compare)."""
    awarded = sheet.tally.county_delegates
    if awarded is None:
        return []
    found = [*_delegate_total(sheet, sum(awarded.values()))]
    if sheet.viability is None:
        return found
    for c in sheet.candidates:
        found.extend(_group_award(sheet, sheet.viability, c))
    return found


def _delegate_total(sheet: Sheet, total: int) -> list[Finding]:
    if total == sheet.delegates:
        return []
    message = f"County delegates awarded total {total} but the precinct elects {sheet.delegates}"
    return [Finding(FindingCode.DELEGATE_TOTAL_MISMATCH, None, message)]


def _group_award(sheet: Sheet, rule: Viability, c: str) -> list[Finding]:
    """At most one finding per group: the most specific one."""
    awarded, possible = sheet.awarded(c), sheet.allocation.possible(c)
    if awarded and c not in sheet.viable:
        return [Finding(FindingCode.NONVIABLE_GROUP_AWARDED, c, _nonviable(sheet, rule, c))]
    if not awarded and c in sheet.viable and 0 not in possible:
        message = f"{c} is viable with {sheet.final(c)} but was awarded no county delegate"
        return [Finding(FindingCode.VIABLE_GROUP_UNAWARDED, c, message)]
    if awarded in possible:
        return []
    rule_gives = " or ".join(str(n) for n in sorted(possible))
    message = (
        f"{c} was awarded {_delegates(awarded)}; the rules give {rule_gives} ({_why(sheet, c)})"
    )
    return [Finding(FindingCode.ALLOCATION_MISMATCH, c, message)]


def _why(sheet: Sheet, c: str) -> str:
    """How the rule reached a group's count: its exact share, and any adjustment."""
    members, attendees, delegates = sheet.final(c), sheet.tally.attendees, sheet.delegates
    if c not in sheet.viable:
        return f"{members} in the final alignment is not viable"
    adjustment = sheet.allocation.adjustment
    if adjustment == "largest_groups":
        return f"{members} in the final alignment; one delegate each to the largest groups"
    share = Fraction(members * delegates, attendees)
    rounded = max(1, round_half_up(share))
    why = f"{members} x {delegates} / {attendees} = {float(share):.3f}"
    given = sheet.allocation.delegates.get(c, 0)
    if given > rounded:
        return f"{why}, plus a delegate left over by rounding"
    if given < rounded:
        return f"{why}, less one: rounding gave out too many"
    return why if rounded == round_half_up(share) else f"{why}, at least one as a viable group"


def _nonviable(sheet: Sheet, rule: Viability, c: str) -> str:
    said = f"{c} was awarded {_delegates(sheet.awarded(c))} but is not viable"
    if rule.largest_group_wins:
        return (
            f"{said}: {sheet.final(c)} in the final alignment is not the largest group, "
            "and a one-delegate precinct's delegate goes to its largest group"
        )
    return f"{said}: {sheet.final(c)} in the final alignment, threshold {rule.threshold}"


def _more_viable_than_delegates(sheet: Sheet) -> list[Finding]:
    rule = sheet.viability
    if rule is None or rule.largest_group_wins or len(sheet.viable) <= sheet.delegates:
        return []
    message = (
        f"{len(sheet.viable)} groups are viable but the precinct elects only "
        f"{sheet.delegates}; the largest groups get one delegate each"
    )
    return [Finding(FindingCode.MORE_VIABLE_GROUPS_THAN_DELEGATES, None, message)]


def _coin_toss(sheet: Sheet) -> list[Finding]:
    toss = sheet.allocation.coin_toss
    if toss is None or toss.resolved:
        return []
    message = (
        f"{_names(toss.between)} tie for {_delegates(toss.delegates)}: "
        "a coin toss decides; record its winner(s) on the sheet"
    )
    implied = _implied_winners(sheet)
    if implied:
        message += f" (the delegates awarded imply {_names(implied)} won)"
    return [Finding(FindingCode.COIN_TOSS_REQUIRED, None, message)]


def _implied_winners(sheet: Sheet) -> tuple[str, ...]:
    """The toss winners the sheet's county delegates imply, if they fit exactly one outcome."""
    toss, allocation = sheet.allocation.coin_toss, sheet.allocation.delegates
    if toss is None or sheet.tally.county_delegates is None:
        return ()
    extra = {g: sheet.awarded(g) - allocation.get(g, 0) for g in toss.between}
    winners = tuple(g for g, n in extra.items() if n == 1)
    fits = len(winners) == toss.delegates and all(n in (0, 1) for n in extra.values())
    return winners if fits else ()


def _delegates(n: int) -> str:
    return f"{n} county delegate" + ("" if n == 1 else "s")


def _names(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def count_by_code(findings_per_tally: Sequence[Sequence[Finding]]) -> Mapping[str, int]:
    """Tallies (precincts) with at least one finding of each code, every code listed."""
    counts = dict.fromkeys(FindingCode, 0)
    for findings in findings_per_tally:
        for code in {f.code for f in findings}:
            counts[code] += 1
    return {code.value: n for code, n in counts.items()}
