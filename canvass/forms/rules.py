"""Rule sets as data: `rulesets/<name>.json`, read into a frozen `RuleSet`.

A rule set holds what the engine needs and nothing else: what it allocates (`delegates`
or `nothing`), the viability bands, the satellite table, the rounding of SDE, the findings
that apply, the forms it runs on and the instructions printed on them. The engine
(`reconcile.allocate`, `reconcile.caucus_math`, `reconcile.sheet_math`) reads only these
fields, so another year's or party's rules are one more JSON file in `rulesets/`; code is
needed only for genuinely different math (a new value of `allocates`).

Everything is exact: thresholds use `fractions.Fraction` (1/6 is not 0.1667), rounding is
half up on exact fractions, and SDE is rounded with `decimal.Decimal`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, TypeAdapter, ValidationError
from pydantic.dataclasses import dataclass as checked_dataclass

from canvass.errors import InputError

Allocates = Literal["delegates", "nothing"]
Exact = Annotated[Fraction, BeforeValidator(Fraction)]
"""An exact fraction, written "1/6" or "15/100" in a rule set file."""

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


@checked_dataclass(frozen=True, config=ConfigDict(extra="forbid", arbitrary_types_allowed=True))
class RuleSet:
    """One party's rules for one year: what the sheet's numbers decide, and how.

    `threshold_bands`: (delegates to elect, fraction of attendees) for the small precincts;
    larger precincts use `default_fraction`. `satellite_table`: (most attendees, delegates),
    ascending; more attendees than the last row elect `satellite_max` delegates.
    """

    name: str
    title: str
    forms: tuple[str, ...]
    allocates: Allocates
    findings: tuple[str, ...]
    instructions: tuple[str, ...]
    threshold_bands: tuple[tuple[int, Exact], ...] = ()
    default_fraction: Exact = Fraction(0)
    single_delegate_largest_wins: bool = False
    satellite_table: tuple[tuple[int, int], ...] = ()
    satellite_max: int = 0
    sde_places: int = 4
    state_sde_places: int = 3

    def printed_notes(self) -> dict[str, str]:
        """Notes printed under header fields: the threshold bands and the satellite table
        (none for a rule set that allocates nothing)."""
        if self.allocates != "delegates":
            return {}
        bands = [f"{_share(self.default_fraction)} ({len(self.threshold_bands) + 1}+ delegates)"]
        for delegates, fraction in sorted(self.threshold_bands, reverse=True):
            half = delegates == 1 and self.single_delegate_largest_wins
            bands.append(f"{'over half' if half else _share(fraction)} ({delegates})")
        steps, low = [], 1
        for most, delegates in self.satellite_table:
            steps.append(f"{low}-{most}: {delegates}")
            low = most + 1
        steps.append(f"more: {self.satellite_max}")
        return {
            "viability_threshold": ", ".join(bands),
            "delegates_to_elect": "by attendance: " + ", ".join(steps),
        }

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


def _share(fraction: Fraction) -> str:
    """15% for 15/100 and 1/4, 1/6 where the percentage is not whole."""
    percent = fraction * 100
    return f"{percent}%" if percent.denominator == 1 else str(fraction)


def parse_rule_set(data: Any, source: str) -> RuleSet:
    """A RuleSet from its JSON object (fractions as "1/6" strings); InputError naming
    `source` and the problem."""
    try:
        return TypeAdapter(RuleSet).validate_python(data)
    except (ValidationError, ValueError, ZeroDivisionError) as exc:
        raise InputError(f"{source}: not a valid rule set ({exc}); fix the file") from exc


@cache
def rule_sets() -> dict[str, RuleSet]:
    """Every rule set shipped in `canvass/forms/rulesets/`, by name (read once)."""
    found: dict[str, RuleSet] = {}
    for entry in sorted(resources.files("canvass.forms").joinpath("rulesets").iterdir(), key=str):
        if entry.name.endswith(".json"):
            rules = parse_rule_set(json.loads(entry.read_text(encoding="utf-8")), entry.name)
            if f"{rules.name}.json" != entry.name:
                raise InputError(f"{entry.name}: names rule set {rules.name!r}; rename one")
            found[rules.name] = rules
    return found


def rule_set(name: str) -> RuleSet:
    """The rule set called `name`, or an InputError listing the known ones."""
    try:
        return rule_sets()[name]
    except KeyError:
        known = ", ".join(sorted(rule_sets()))
        raise InputError(f"unknown rule set {name!r}; use one of: {known}") from None
