"""Properties of the allocation that must hold for any precinct (hypothesis).

Precincts are drawn as up to six groups' final-alignment counts, the rest of the attendees
having left, and 1 to 20 delegates to elect.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from canvass.forms.rules import rule_set
from canvass.model import Tally
from reconcile.caucus_math import MathResult, PrecinctInfo, compute

CANDIDATES = ("A", "B", "C", "D", "E", "F")
EXAMPLES = settings(max_examples=150, deadline=None)


@dataclass(frozen=True)
class Precinct:
    delegates: int
    attendees: int
    final: dict[str, int]

    def math(self, winners: tuple[str, ...] = ()) -> MathResult:
        tally = Tally(
            precinct="P-1",
            attendees=self.attendees,
            final=self.final,
            coin_toss_winners=winners,
        )
        info = PrecinctInfo(id="P-1", delegates_to_elect=self.delegates)
        return compute(tally, info, rule_set("iowa-dem-2020"), CANDIDATES)


@st.composite
def precincts(draw: st.DrawFn) -> Precinct:
    counts = draw(st.lists(st.integers(0, 120), min_size=1, max_size=len(CANDIDATES)))
    left = draw(st.integers(0, 30))
    final = dict(zip(CANDIDATES, counts, strict=False))
    return Precinct(draw(st.integers(1, 20)), sum(counts) + left, final)


def total(result: MathResult) -> int:
    return sum(result.allocation.delegates.values())


@EXAMPLES
@given(precincts())
def test_allocation_sums_to_delegates_to_elect(precinct: Precinct) -> None:
    result = precinct.math()
    if not result.viable:
        assert total(result) == 0
        return
    toss = result.coin_toss
    if toss is None:
        assert total(result) == precinct.delegates
    else:
        assert total(result) + toss.delegates == precinct.delegates
        assert 0 < toss.delegates < len(toss.between)


@EXAMPLES
@given(precincts())
def test_recorded_winners_settle_every_toss(precinct: Precinct) -> None:
    toss = precinct.math().coin_toss
    if toss is None:
        return
    resolved = precinct.math(winners=toss.between[: toss.delegates])
    assert resolved.coin_toss is not None and resolved.coin_toss.resolved
    assert total(resolved) == precinct.delegates
    assert not resolved.findings or all(
        f.code.value != "COIN_TOSS_REQUIRED" for f in resolved.findings
    )


@EXAMPLES
@given(precincts())
def test_nonviable_groups_never_get_a_delegate(precinct: Precinct) -> None:
    result = precinct.math()
    for group, delegates in result.allocation.delegates.items():
        assert group in result.viable or delegates == 0
    for group, members in precinct.final.items():
        if group not in result.viable:
            assert result.allocation.delegates.get(group, 0) == 0
            assert members == 0 or members < result.threshold or result.delegates_to_elect == 1


@EXAMPLES
@given(precincts())
def test_every_viable_group_gets_one_when_there_are_enough(precinct: Precinct) -> None:
    result = precinct.math()
    if len(result.viable) <= precinct.delegates:
        for group in result.viable:
            assert result.allocation.delegates[group] >= 1


@EXAMPLES
@given(precincts(), st.sampled_from(CANDIDATES))
def test_a_new_member_never_costs_a_delegate(precinct: Precinct, group: str) -> None:
    """One more member for `group` (one of those who left) never costs it a delegate.

    The rules would allow an adjustment or a coin toss to explain a loss; because the
    adjustments go by remainder, none does: the settled delegates and the best case of a
    pending toss both never go down (checked on 20,000 examples while writing this).
    """
    if sum(precinct.final.values()) >= precinct.attendees:
        return  # nobody left to join
    before = precinct.math()
    grown = {**precinct.final, group: precinct.final.get(group, 0) + 1}
    after = Precinct(precinct.delegates, precinct.attendees, grown).math()
    assert settled(after, group) >= settled(before, group)
    assert best_case(after, group) >= best_case(before, group)


def settled(result: MathResult, group: str) -> int:
    return result.allocation.delegates.get(group, 0)


def best_case(result: MathResult, group: str) -> int:
    toss = result.coin_toss
    pending = toss is not None and not toss.resolved and group in toss.between
    return settled(result, group) + pending
