"""County delegates for the viable groups: rounding, the minimum of one, the adjustments and
the coin toss.

The rule (IDP 2020): each viable group gets members x delegates / attendees, rounded half
up, and at least one. Too few in total: the extra goes to the group with the highest
decimal below .5. Too many: one is taken from the group with the lowest decimal at or above
.5, never a group's only delegate. A tie on the decimal is settled by a coin toss.

Both adjustments are done one delegate at a time by *remainder* (exact share minus
delegates so far): the highest remainder is furthest below its share, so it is first in line
for an extra delegate (a group rounded down from x.4 has remainder .4), and the lowest is
furthest above it, so it is first to give one back (a group rounded up from x.6 has -.4).
For the cases the rule names this is exactly the rule; when more delegates must move than
there are such groups it keeps going in the same spirit rather than stopping.

More viable groups than delegates (possible with small precincts) and the one-delegate
precinct both give one delegate each to the largest groups.

At most one coin toss is ever needed: it always settles every delegate still to place.
An unresolved toss leaves its delegates out of `Allocation.delegates`; the `CoinToss`
says how many of which groups each get one more.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from canvass.forms.rules import round_half_up

Adjustment = Literal["none", "too_few", "too_many", "largest_groups"]
LineUp = Callable[[dict[str, int]], dict[str, Fraction]]


@dataclass(frozen=True)
class CoinToss:
    """`delegates` of the groups in `between` each get one delegate more than the allocation
    shows. `winners` are the groups the sheet recorded as winning (empty: unresolved)."""

    between: tuple[str, ...]
    delegates: int
    winners: tuple[str, ...] = ()

    @property
    def resolved(self) -> bool:
        return bool(self.winners)


@dataclass(frozen=True)
class Allocation:
    """Delegates per viable group (every viable group is a key, in candidate order)."""

    delegates: Mapping[str, int]
    coin_toss: CoinToss | None = None
    adjustment: Adjustment = "none"

    @property
    def pending(self) -> int:
        """Delegates an unresolved coin toss still has to place."""
        toss = self.coin_toss
        return toss.delegates if toss is not None and not toss.resolved else 0

    def possible(self, group: str) -> set[int]:
        """Every count the rules allow `group`, given the unresolved coin toss if any."""
        base = self.delegates.get(group, 0)
        toss = self.coin_toss
        if toss is not None and not toss.resolved and group in toss.between:
            return {base, base + 1}
        return {base}


def allocate(
    viable: Mapping[str, int],
    attendees: int,
    delegates: int,
    *,
    largest_groups: bool = False,
    coin_toss_winners: Sequence[str] = (),
) -> Allocation:
    """Allocate `delegates` among the `viable` groups (name -> final-alignment members).

    `largest_groups`: the one-delegate reading (largest group wins). It is also used by
    itself when there are more viable groups than delegates. Returns an empty allocation
    when there is nothing to allocate (no viable group, no attendees or no delegates).
    """
    if not viable or attendees <= 0 or delegates <= 0:
        return Allocation(delegates={})
    if largest_groups or len(viable) > delegates:
        return _largest_groups(viable, delegates, coin_toss_winners)
    return _proportional(viable, attendees, delegates, coin_toss_winners)


def exact_shares(viable: Mapping[str, int], attendees: int, delegates: int) -> dict[str, Fraction]:
    """members x delegates / attendees for each group, exactly."""
    return {g: Fraction(m * delegates, attendees) for g, m in viable.items()}


def _proportional(
    viable: Mapping[str, int], attendees: int, delegates: int, winners: Sequence[str]
) -> Allocation:
    exact = exact_shares(viable, attendees, delegates)
    award = {g: max(1, round_half_up(share)) for g, share in exact.items()}
    missing = delegates - sum(award.values())
    if missing > 0:

        def furthest_below(a: dict[str, int]) -> dict[str, Fraction]:
            return {g: a[g] - exact[g] for g in a}

        final, toss = _move(award, missing, furthest_below, +1, winners)
        return Allocation(final, toss, "too_few")
    if missing < 0:

        def furthest_above(a: dict[str, int]) -> dict[str, Fraction]:
            return {g: exact[g] - a[g] for g in a if a[g] > 1}

        final, toss = _move(award, -missing, furthest_above, -1, winners)
        return Allocation(final, toss, "too_many")
    return Allocation(award)


def _largest_groups(
    viable: Mapping[str, int], delegates: int, winners: Sequence[str]
) -> Allocation:
    """One delegate each to the `delegates` largest groups; a tie at the cut is a coin toss."""

    def largest_unawarded(a: dict[str, int]) -> dict[str, Fraction]:
        return {g: Fraction(-viable[g]) for g in a if a[g] == 0}

    award, toss = _move(dict.fromkeys(viable, 0), delegates, largest_unawarded, +1, winners)
    return Allocation(award, toss, "largest_groups")


def _move(
    award: dict[str, int], count: int, line_up: LineUp, step: int, winners: Sequence[str]
) -> tuple[dict[str, int], CoinToss | None]:
    """Give (`step` +1) or take (-1) `count` delegates, one group at a time.

    `line_up` gives each group still eligible its place in line (smallest first). Groups
    tied at the head of the line all move together when there are enough delegates left;
    otherwise the rest is a coin toss among them.
    """
    award = dict(award)
    while count > 0:
        line = line_up(award)
        if not line:
            break
        head = min(line.values())
        tied = [g for g in award if line.get(g) == head]
        if len(tied) > count:
            return _toss(award, tied, count, step, winners)
        for g in tied:
            award[g] += step
        count -= len(tied)
    return award, None


def _toss(
    award: dict[str, int], tied: list[str], count: int, step: int, winners: Sequence[str]
) -> tuple[dict[str, int], CoinToss]:
    """`count` of the `tied` groups gain (step +1) or lose (step -1) a delegate by coin toss.

    The allocation is written as if every tied group lost the toss; the toss's winners each
    get one more. The sheet's recorded winners decide it only when they name exactly as
    many of the tied groups as there are winners; otherwise the toss is unresolved.
    """
    if step < 0:
        for g in tied:
            award[g] -= 1
    prizes = count if step > 0 else len(tied) - count
    recorded = [g for g in dict.fromkeys(winners) if g in tied]
    if len(recorded) != prizes:
        return award, CoinToss(between=tuple(tied), delegates=prizes)
    for g in recorded:
        award[g] += 1
    return award, CoinToss(between=tuple(tied), delegates=prizes, winners=tuple(recorded))
