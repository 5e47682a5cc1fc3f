"""Named caucus rule sets: the numbers the engine needs, nothing else.

A rule set is a frozen value (`RuleSet`) holding the viability bands, the satellite
table and the rounding of SDE. The engine (`reconcile.allocate`, `reconcile.caucus_math`)
reads only these fields, so another year's or state's rules sit beside Iowa 2020 as one
more entry in `RULE_SETS` without touching the engine.

Everything is exact: thresholds use `fractions.Fraction` (1/6 is not 0.1667), rounding is
half up on exact fractions, and SDE is rounded with `decimal.Decimal`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from canvass.errors import InputError

ONE_DELEGATE_READING = (
    "one delegate: read as 'the largest group wins, coin toss on a tie'; sources conflict "
    "(some give a threshold of more than 50%)"
)


def round_half_up(value: Fraction) -> int:
    """Round an exact non-negative fraction to an integer, .5 and above going up."""
    return math.floor(value + Fraction(1, 2))


@dataclass(frozen=True)
class Viability:
    """How viability works for one precinct size.

    `threshold` is the rule's number; `accepted` the thresholds a sheet may write without a
    THRESHOLD_MISMATCH (more than one where the rule is uncertain). With
    `largest_group_wins`, the final alignment's largest group(s) are the viable ones and
    `threshold` only decides who is locked in the first alignment.
    """

    threshold: int
    fraction: Fraction
    largest_group_wins: bool = False
    accepted: frozenset[int] = frozenset()
    uncertain: str | None = None

    def describe(self, attendees: int) -> str:
        """`15% of 215, rounded up` - what a reviewer checks the sheet against."""
        if self.largest_group_wins:
            return f"more than half of {attendees}"
        percent = self.fraction * 100
        share = f"{percent}%" if percent.denominator == 1 else str(self.fraction)
        return f"{share} of {attendees}, rounded up"


@dataclass(frozen=True)
class RuleSet:
    """One party's caucus rules for one year.

    `threshold_bands`: (delegates to elect, fraction of attendees) for the small precincts;
    larger precincts use `default_fraction`. `satellite_table`: (most attendees, delegates),
    ascending; more attendees than the last row elect `satellite_max` delegates.
    """

    name: str
    threshold_bands: tuple[tuple[int, Fraction], ...]
    default_fraction: Fraction
    single_delegate_largest_wins: bool
    satellite_table: tuple[tuple[int, int], ...]
    satellite_max: int
    sde_places: int = 4
    state_sde_places: int = 3

    def viability(self, attendees: int, delegates: int) -> Viability:
        """The threshold for `attendees` at caucus start in a precinct electing `delegates`.

        Constraint: `delegates` >= 1 (a precinct electing none has no viability).
        """
        if delegates < 1:
            raise ValueError("viability needs at least one delegate to elect")
        fraction = dict(self.threshold_bands).get(delegates, self.default_fraction)
        if delegates == 1 and self.single_delegate_largest_wins:
            more_than_half = attendees // 2 + 1
            return Viability(
                threshold=more_than_half,
                fraction=fraction,
                largest_group_wins=True,
                accepted=frozenset({more_than_half, math.ceil(attendees * fraction)}),
                uncertain=ONE_DELEGATE_READING,
            )
        threshold = math.ceil(attendees * fraction)
        return Viability(threshold=threshold, fraction=fraction, accepted=frozenset({threshold}))

    def satellite_delegates(self, attendees: int) -> int:
        """Delegates a satellite caucus elects by attendance; none without attendees."""
        if attendees <= 0:
            return 0
        for most, delegates in self.satellite_table:
            if attendees <= most:
                return delegates
        return self.satellite_max

    def round_sde(self, value: Decimal) -> Decimal:
        """Per candidate per precinct (4 decimals in 2020), half up."""
        return value.quantize(Decimal(1).scaleb(-self.sde_places), rounding=ROUND_HALF_UP)

    def round_state_sde(self, value: Decimal) -> Decimal:
        """State totals as published (3 decimals in 2020), half up."""
        return value.quantize(Decimal(1).scaleb(-self.state_sde_places), rounding=ROUND_HALF_UP)


IOWA_DEM_2020 = RuleSet(
    name="iowa-dem-2020",
    threshold_bands=((1, Fraction(1, 2)), (2, Fraction(1, 4)), (3, Fraction(1, 6))),
    default_fraction=Fraction(15, 100),
    single_delegate_largest_wins=True,
    satellite_table=((20, 4), (40, 5), (60, 6), (80, 7), (100, 8)),
    satellite_max=9,
)

RULE_SETS: dict[str, RuleSet] = {IOWA_DEM_2020.name: IOWA_DEM_2020}


def rule_set(name: str) -> RuleSet:
    """The rule set called `name`, or an InputError listing the known ones."""
    try:
        return RULE_SETS[name]
    except KeyError:
        known = ", ".join(sorted(RULE_SETS))
        raise InputError(f"unknown rule set {name!r}; use one of: {known}") from None
