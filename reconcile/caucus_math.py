"""The caucus math for one tally: threshold, viable groups, allocation, SDE and findings.

`compute(tally, precinct, rules, candidates)` is pure: what the election knows about the
precinct comes in as a `PrecinctInfo` (see `precinct_info`), the rules as a `RuleSet`.
`compute_for_election` is the usual entry point: it looks both up in an `Election`.

Input problems a person must fix (an unknown candidate, an unknown precinct with no
delegates to elect) raise `InputError`; problems of the sheet's own math are findings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from canvass.errors import InputError
from canvass.forms.rules import RuleSet, Viability, rule_set
from canvass.model import Election, Tally
from reconcile.allocate import Allocation, CoinToss, allocate
from reconcile.findings import Finding, Sheet, validate

MORE_GROUPS_READING = (
    "more viable groups than delegates: read as 'the largest groups get one delegate each, "
    "coin toss on a tie'; the 2020 rules do not say"
)


@dataclass(frozen=True)
class PrecinctInfo:
    """What the election knows about a precinct.

    `delegates_to_elect` is None for satellites (they elect by attendance).
    `sde_weight` (the precinct's SDE, shared by its delegates) or `sde_per_attendee`
    (satellites) give the SDE; both None means the SDE is unknown.
    """

    id: str
    delegates_to_elect: int | None
    satellite: bool = False
    sde_weight: Decimal | None = None
    sde_per_attendee: Decimal | None = None


@dataclass(frozen=True)
class MathResult:
    """docs/contracts.md section 4, plus `delegates_to_elect`, `uncertain_rule` and `notes`."""

    precinct: str
    delegates_to_elect: int
    threshold: int
    viable: tuple[str, ...]
    allocation: Allocation
    sde: Mapping[str, Decimal] | None
    findings: tuple[Finding, ...]
    uncertain_rule: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def coin_toss(self) -> CoinToss | None:
        return self.allocation.coin_toss

    def to_json(self) -> dict[str, Any]:
        """The one conversion to plain JSON values (SDE as numbers with 4 decimals)."""
        toss = self.coin_toss
        return {
            "precinct": self.precinct,
            "delegates_to_elect": self.delegates_to_elect,
            "threshold": self.threshold,
            "viable": list(self.viable),
            "allocation": dict(self.allocation.delegates),
            "coin_toss": None
            if toss is None
            else {
                "between": list(toss.between),
                "delegates": toss.delegates,
                "winners": list(toss.winners),
            },
            "sde": None if self.sde is None else {c: float(v) for c, v in self.sde.items()},
            "findings": [
                {"code": f.code.value, "candidate": f.candidate, "message": f.message}
                for f in self.findings
            ],
            "uncertain_rule": self.uncertain_rule,
            "notes": list(self.notes),
        }


def precinct_info(election: Election, precinct_id: str) -> PrecinctInfo | None:
    """The election's knowledge of `precinct_id`, or None if it has no such precinct.

    The precinct's SDE weight (reproduces the published 2020 SDE exactly) is preferred to
    its delegates x the county's state/county delegate ratio.
    """
    precinct = election.precinct_by_id.get(precinct_id)
    if precinct is None:
        return None
    county = election.county_by_name[precinct.county]
    if precinct.satellite:
        rate = county.sde_per_attendee
        return PrecinctInfo(
            id=precinct.id,
            delegates_to_elect=None,
            satellite=True,
            sde_per_attendee=None if rate is None else _decimal(rate),
        )
    weight: Decimal | None = None
    if precinct.sde_weight is not None:
        weight = _decimal(precinct.sde_weight)
    elif county.state_delegate_ratio is not None and precinct.delegates_to_elect is not None:
        weight = _decimal(county.state_delegate_ratio) * precinct.delegates_to_elect
    return PrecinctInfo(
        id=precinct.id, delegates_to_elect=precinct.delegates_to_elect, sde_weight=weight
    )


def compute_for_election(tally: Tally, election: Election) -> MathResult:
    """`compute` with the precinct, rules and candidates of `election`."""
    info = precinct_info(election, tally.precinct)
    return compute(tally, info, rule_set(election.rule_set), election.candidates)


def compute(
    tally: Tally, precinct: PrecinctInfo | None, rules: RuleSet, candidates: Sequence[str]
) -> MathResult:
    """The caucus math of one tally. `precinct` None: the election does not know it."""
    _check_candidates(tally, candidates)
    delegates, notes = _delegates_to_elect(tally, precinct, rules)
    viability = None
    if tally.attendees > 0 and delegates > 0:
        viability = rules.viability(tally.attendees, delegates)
    viable = _viable(tally, candidates, viability)
    allocation = allocate(
        {c: tally.final.get(c, 0) for c in viable},
        tally.attendees,
        delegates,
        largest_groups=viability is not None and viability.largest_group_wins,
        coin_toss_winners=tally.coin_toss_winners,
    )
    notes += _coin_toss_notes(tally, allocation)
    sheet = Sheet(tally, candidates, delegates, viability, viable, allocation)
    awarded = tally.county_delegates
    return MathResult(
        precinct=tally.precinct,
        delegates_to_elect=delegates,
        threshold=0 if viability is None else viability.threshold,
        viable=viable,
        allocation=allocation,
        sde=_sde(
            allocation.delegates if awarded is None else awarded,
            tally,
            delegates,
            precinct,
            rules,
            candidates,
        ),
        findings=validate(sheet),
        uncertain_rule=_uncertain(viability, len(viable), delegates),
        notes=notes,
    )


def _check_candidates(tally: Tally, candidates: Sequence[str]) -> None:
    unknown = sorted(tally.candidates_named() - set(candidates))
    if unknown:
        raise InputError(
            f"tally for {tally.precinct} names unknown candidate(s) {', '.join(unknown)}; "
            f"use the election's names: {', '.join(candidates)}"
        )


def _delegates_to_elect(
    tally: Tally, precinct: PrecinctInfo | None, rules: RuleSet
) -> tuple[int, tuple[str, ...]]:
    """The election's number wins over the tally's; satellites elect by attendance."""
    if precinct is None:
        if tally.delegates_to_elect is None:
            raise InputError(
                f"precinct {tally.precinct} is not in the election; check the id, "
                "or give delegates_to_elect in the tally"
            )
        note = f"precinct {tally.precinct} is not in the election: used the tally's delegates"
        return tally.delegates_to_elect, (note,)
    if precinct.satellite:
        rule, source = rules.satellite_delegates(tally.attendees), "by attendance"
    else:
        rule, source = precinct.delegates_to_elect or 0, "in the election"
    given = tally.delegates_to_elect
    if given is not None and given != rule:
        return rule, (f"the tally says {given} delegates to elect; used {rule} ({source})",)
    return rule, ()


def _viable(tally: Tally, candidates: Sequence[str], rule: Viability | None) -> tuple[str, ...]:
    """Groups viable in the final alignment, in candidate order."""
    if rule is None:
        return ()
    counts = {c: tally.final.get(c, 0) for c in candidates}
    if rule.largest_group_wins:
        largest = max(counts.values())
        return tuple(c for c, n in counts.items() if n == largest > 0)
    return tuple(c for c, n in counts.items() if n > 0 and n >= rule.threshold)


def _coin_toss_notes(tally: Tally, allocation: Allocation) -> tuple[str, ...]:
    """Say so when the sheet records coin-toss winners that did not decide anything."""
    recorded, toss = tally.coin_toss_winners, allocation.coin_toss
    if not recorded or (toss is not None and toss.resolved):
        return ()
    if toss is None:
        return (f"the sheet records coin toss winner(s) {', '.join(recorded)}; none was needed",)
    return (
        f"the sheet records coin toss winner(s) {', '.join(recorded)}, which do not settle "
        f"the toss between {', '.join(toss.between)} for {toss.delegates}",
    )


def _sde(
    county_delegates: Mapping[str, int],
    tally: Tally,
    delegates: int,
    precinct: PrecinctInfo | None,
    rules: RuleSet,
    candidates: Sequence[str],
) -> dict[str, Decimal] | None:
    """SDE per candidate from county delegates (the sheet's, else the rules'), 4 decimals.

    A group's SDE is its delegates x the precinct's SDE / its delegates to elect,
    multiplied before dividing so that a half at the 5th decimal is exact and rounds up.
    A satellite's SDE is its group's SDE per attendee x its attendees.
    """
    if precinct is None:
        return None
    weight = precinct.sde_weight
    if precinct.sde_per_attendee is not None:
        weight = precinct.sde_per_attendee * tally.attendees
    if weight is None:
        return None
    if not delegates:
        return dict.fromkeys(candidates, Decimal(0))
    return {c: rules.round_sde(county_delegates.get(c, 0) * weight / delegates) for c in candidates}


def _uncertain(rule: Viability | None, viable: int, delegates: int) -> str | None:
    if rule is None:
        return None
    if rule.uncertain:
        return rule.uncertain
    return MORE_GROUPS_READING if viable > delegates else None


def state_sde_totals(results: Iterable[MathResult], rules: RuleSet) -> dict[str, Decimal]:
    """SDE per candidate summed over `results`, rounded as the state published them."""
    totals: dict[str, Decimal] = {}
    for result in results:
        for c, v in (result.sde or {}).items():
            totals[c] = totals.get(c, Decimal(0)) + v
    return {c: rules.round_state_sde(v) for c, v in totals.items()}


def _decimal(value: float) -> Decimal:
    """A float from the election file as the decimal it was written as (0.6275, not 0.62749...)."""
    return Decimal(repr(value))
