"""Allocation worked by hand from the rules (docs/caucus-rules.md): every case's arithmetic
is in its comment, so a reader can check the expected numbers without the code."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

from canvass.forms.rules import RuleSet, rule_set
from canvass.model import County, Election, Precinct, Tally
from reconcile.allocate import CoinToss, allocate
from reconcile.caucus_math import MathResult, PrecinctInfo, compute, compute_for_election
from reconcile.findings import FindingCode

CANDIDATES = ("A", "B", "C", "D", "E", "Uncommitted")


def run(
    delegates: int,
    attendees: int,
    final: dict[str, int],
    *,
    first: dict[str, int] | None = None,
    winners: tuple[str, ...] = (),
    rules: RuleSet | None = None,
) -> MathResult:
    """The math for a precinct electing `delegates` (first alignment: the final one)."""
    tally = Tally(
        precinct="P-1",
        attendees=attendees,
        first=final if first is None else first,
        final=final,
        coin_toss_winners=winners,
    )
    info = PrecinctInfo(id="P-1", delegates_to_elect=delegates, sde_weight=Decimal(delegates))
    return compute(tally, info, rules or rule_set("iowa-dem-2020"), CANDIDATES)


def test_clean_proportional() -> None:
    # 6 delegates, 120 attendees, threshold 18: A 60 x 6/120 = 3, B 2, C 1. Sum 6.
    result = run(6, 120, {"A": 60, "B": 40, "C": 20})
    assert result.threshold == 18
    assert result.viable == ("A", "B", "C")
    assert dict(result.allocation.delegates) == {"A": 3, "B": 2, "C": 1}
    assert result.allocation.adjustment == "none"
    assert result.coin_toss is None
    assert result.findings == ()


def test_too_few_goes_to_highest_decimal_below_half() -> None:
    # 5 delegates, 100 attendees (6 left), threshold 15:
    # A 46 -> 2.3 -> 2, B 28 -> 1.4 -> 1, C 20 -> 1.0 -> 1; 4 awarded, 1 short.
    # Highest decimal below .5 is B's .4 -> B gets it.
    result = run(5, 100, {"A": 46, "B": 28, "C": 20})
    assert dict(result.allocation.delegates) == {"A": 2, "B": 2, "C": 1}
    assert result.allocation.adjustment == "too_few"
    assert result.coin_toss is None


def test_leavers_keep_the_attendees_as_denominator() -> None:
    # 4 delegates, 100 attended, 30 left before the final alignment (total 70):
    # A 50 -> 2.0, B 20 -> 0.8 -> 1; 3 awarded, 1 short. A's decimal .0 is the only one
    # below .5 (B was rounded up) -> A 3. Dividing by 70 instead would give A 2.86, B 1.14.
    result = run(4, 100, {"A": 50, "B": 20})
    assert result.threshold == 15
    assert dict(result.allocation.delegates) == {"A": 3, "B": 1}
    assert not any(f.code == FindingCode.FINAL_EXCEEDS_ATTENDEES for f in result.findings)


def test_too_many_taken_from_lowest_decimal_at_or_above_half() -> None:
    # 5 delegates, 100 attendees: A 31 -> 1.55 -> 2, B 33 -> 1.65 -> 2, C 36 -> 1.8 -> 2;
    # 6 awarded, 1 too many. Lowest decimal at or above .5 is A's .55 -> A 1.
    result = run(5, 100, {"A": 31, "B": 33, "C": 36})
    assert dict(result.allocation.delegates) == {"A": 1, "B": 2, "C": 2}
    assert result.allocation.adjustment == "too_many"


def test_too_many_never_takes_a_groups_only_delegate() -> None:
    # 3 delegates, 30 attendees, threshold 5: A 15 -> 1.5 -> 2, B 9 -> 0.9 -> 1,
    # C 6 -> 0.6 -> 1; 4 awarded. C's .6 is the lowest decimal at or above .5 but C has
    # one delegate, and so has B: A gives one back.
    result = run(3, 30, {"A": 15, "B": 9, "C": 6})
    assert dict(result.allocation.delegates) == {"A": 1, "B": 1, "C": 1}


def test_minimum_of_one_for_a_viable_group() -> None:
    # Under the 2020 thresholds a viable group's share is always >= .5, so the minimum
    # shows with a lower threshold: 4 delegates, 5% -> B 5 x 4/100 = 0.2 -> 0 -> 1, C too.
    # A 90 -> 3.6 -> 4; 6 awarded, 2 too many, only A has more than one: A 2.
    low = replace(rule_set("iowa-dem-2020"), name="test-5pct", default_fraction=Fraction(1, 20))
    result = run(4, 100, {"A": 90, "B": 5, "C": 5}, rules=low)
    assert result.threshold == 5
    assert dict(result.allocation.delegates) == {"A": 2, "B": 1, "C": 1}
    assert dict(allocate({"A": 90, "B": 5, "C": 5}, 100, 4).delegates) == {"A": 2, "B": 1, "C": 1}


def test_nonviable_group_gets_none() -> None:
    # 6 delegates, 100 attendees, threshold 15: D 14 is not viable.
    # A 50 -> 3, B 36 -> 2.16 -> 2; 5 awarded, 1 short: B's .16 below .5 -> B 3.
    result = run(6, 100, {"A": 50, "B": 36, "D": 14})
    assert result.viable == ("A", "B")
    assert dict(result.allocation.delegates) == {"A": 3, "B": 3}


def test_two_way_coin_toss_when_too_few() -> None:
    # 4 delegates, 40 attendees, threshold 6: A 14 -> 1.4, B 14 -> 1.4, C 12 -> 1.2:
    # 1 each, 1 short; A and B tie on .4 -> coin toss for 1 delegate.
    result = run(4, 40, {"A": 14, "B": 14, "C": 12})
    assert dict(result.allocation.delegates) == {"A": 1, "B": 1, "C": 1}
    assert result.coin_toss == CoinToss(between=("A", "B"), delegates=1)
    assert [f.code for f in result.findings] == [FindingCode.COIN_TOSS_REQUIRED]
    assert result.to_json()["coin_toss"] == {"between": ["A", "B"], "delegates": 1, "winners": []}


def test_recorded_coin_toss_winner_decides() -> None:
    result = run(4, 40, {"A": 14, "B": 14, "C": 12}, winners=("B",))
    assert dict(result.allocation.delegates) == {"A": 1, "B": 2, "C": 1}
    assert result.coin_toss == CoinToss(between=("A", "B"), delegates=1, winners=("B",))
    assert result.findings == ()


def test_two_way_coin_toss_when_too_many() -> None:
    # 6 delegates, 60 attendees: A 25 -> 2.5 -> 3, B 25 -> 3, C 10 -> 1: 7, one too many.
    # A and B tie on .5: the toss's winner keeps 3, the loser has 2.
    result = run(6, 60, {"A": 25, "B": 25, "C": 10})
    assert dict(result.allocation.delegates) == {"A": 2, "B": 2, "C": 1}
    assert result.coin_toss == CoinToss(between=("A", "B"), delegates=1)
    resolved = run(6, 60, {"A": 25, "B": 25, "C": 10}, winners=("A",))
    assert dict(resolved.allocation.delegates) == {"A": 3, "B": 2, "C": 1}


def test_three_way_coin_toss_for_two_delegates() -> None:
    # 5 delegates, 30 attendees (6 left), threshold 5: A, B, C 8 each -> 1.333 -> 1;
    # 3 awarded, 2 short, all three tie on .333: a toss gives 2 of them one more.
    result = run(5, 30, {"A": 8, "B": 8, "C": 8})
    assert dict(result.allocation.delegates) == {"A": 1, "B": 1, "C": 1}
    assert result.coin_toss == CoinToss(between=("A", "B", "C"), delegates=2)
    resolved = run(5, 30, {"A": 8, "B": 8, "C": 8}, winners=("C", "A"))
    assert dict(resolved.allocation.delegates) == {"A": 2, "B": 1, "C": 2}
    assert resolved.coin_toss is not None and resolved.coin_toss.winners == ("C", "A")


def test_four_way_coin_toss() -> None:
    # 6 delegates, 60 attendees, threshold 9: four groups of 13 -> 1.3 -> 1 each, 2 short.
    result = run(6, 60, {"A": 13, "B": 13, "C": 13, "D": 13})
    assert dict(result.allocation.delegates) == {"A": 1, "B": 1, "C": 1, "D": 1}
    assert result.coin_toss == CoinToss(between=("A", "B", "C", "D"), delegates=2)


def test_winners_that_do_not_fit_the_toss_leave_it_unresolved() -> None:
    # Two winners named for a toss with one prize: not a record of this toss.
    result = run(4, 40, {"A": 14, "B": 14, "C": 12}, winners=("A", "B"))
    assert result.coin_toss == CoinToss(between=("A", "B"), delegates=1)
    assert FindingCode.COIN_TOSS_REQUIRED in {f.code for f in result.findings}
    assert any("do not settle" in note for note in result.notes)
    clean = run(6, 120, {"A": 60, "B": 40, "C": 20}, winners=("A",))
    assert any("none was needed" in note for note in clean.notes)


def test_one_delegate_largest_group_wins_and_is_marked_uncertain() -> None:
    # 1 delegate, 30 attendees: A 12 is the largest group without a majority.
    result = run(1, 30, {"A": 12, "B": 10, "C": 8})
    assert result.threshold == 16
    assert result.viable == ("A",)
    assert dict(result.allocation.delegates) == {"A": 1}
    assert result.uncertain_rule is not None
    assert result.to_json()["uncertain_rule"] == result.uncertain_rule


def test_one_delegate_tie_is_a_coin_toss() -> None:
    result = run(1, 20, {"A": 8, "B": 8, "C": 4})
    assert result.viable == ("A", "B")
    assert dict(result.allocation.delegates) == {"A": 0, "B": 0}
    assert result.coin_toss == CoinToss(between=("A", "B"), delegates=1)
    codes = {f.code for f in result.findings}
    assert codes == {FindingCode.COIN_TOSS_REQUIRED}  # not MORE_VIABLE_GROUPS_THAN_DELEGATES


def test_more_viable_groups_than_delegates() -> None:
    # 2 delegates, 40 attendees, threshold 10: A 14, B 12, C 10 viable; the two largest
    # get one each. Flagged, and marked as an uncertain reading.
    first = {"A": 14, "B": 12, "C": 10, "D": 4}  # D's 4 left
    result = run(2, 40, {"A": 14, "B": 12, "C": 10}, first=first)
    assert dict(result.allocation.delegates) == {"A": 1, "B": 1, "C": 0}
    assert result.allocation.adjustment == "largest_groups"
    assert [f.code for f in result.findings] == [FindingCode.MORE_VIABLE_GROUPS_THAN_DELEGATES]
    assert result.uncertain_rule is not None
    # A tie at the cut: B and C with 11 each for the second delegate.
    tied = run(2, 40, {"A": 14, "B": 11, "C": 11})
    assert dict(tied.allocation.delegates) == {"A": 1, "B": 0, "C": 0}
    assert tied.coin_toss == CoinToss(between=("B", "C"), delegates=1)


def test_no_attendees_or_no_delegates_allocate_nothing() -> None:
    for result in (run(6, 0, {}), run(0, 30, {"A": 20, "B": 10})):
        assert result.viable == ()
        assert dict(result.allocation.delegates) == {}
        assert result.threshold == 0
        assert result.coin_toss is None


SATELLITE_ELECTION = Election(
    id="tiny-2020",
    name="Tiny",
    rule_set="iowa-dem-2020",
    candidates=CANDIDATES,
    counties=(
        County(name="Story", state_delegate_ratio=0.1),
        County(name="Sat", kind="satellite_group", sde_per_attendee=0.01),
    ),
    precincts=(
        Precinct(id="STORY-1", county="Story", name="One", delegates_to_elect=4, sde_weight=0.5),
        Precinct(id="SAT-1", county="Sat", name="Satellite", satellite=True),
    ),
)


def test_satellite_elects_by_attendance() -> None:
    # 25 attendees -> 5 delegates, threshold 15% -> 4: A 15 -> 3, B 10 -> 2.
    # SDE: 0.01 per attendee x 25 = 0.25, shared by 5 delegates: 0.05 each.
    tally = Tally(
        precinct="SAT-1", attendees=25, first={"A": 15, "B": 10}, final={"A": 15, "B": 10}
    )
    result = compute_for_election(tally, SATELLITE_ELECTION)
    assert result.delegates_to_elect == 5
    assert result.threshold == 4
    assert dict(result.allocation.delegates) == {"A": 3, "B": 2}
    assert result.sde is not None
    assert result.sde["A"] == Decimal("0.1500") and result.sde["B"] == Decimal("0.1000")


def test_satellite_with_wrong_delegates_uses_attendance_and_says_so() -> None:
    tally = Tally(precinct="SAT-1", delegates_to_elect=9, attendees=3, final={"A": 3})
    result = compute_for_election(tally, SATELLITE_ELECTION)
    assert result.delegates_to_elect == 4
    assert any("by attendance" in note for note in result.notes)


def test_sde_uses_the_sheets_delegates_when_given() -> None:
    # 0.5 SDE over 4 delegates: 0.125 per delegate. The sheet gives A 3, B 1 (rules 2/2).
    final = {"A": 10, "B": 10}
    sheet = Tally(
        precinct="STORY-1",
        attendees=20,
        first=final,
        final=final,
        county_delegates={"A": 3, "B": 1},
    )
    result = compute_for_election(sheet, SATELLITE_ELECTION)
    assert result.sde is not None
    assert (result.sde["A"], result.sde["B"]) == (Decimal("0.3750"), Decimal("0.1250"))
    computed = compute_for_election(
        sheet.model_copy(update={"county_delegates": None}), SATELLITE_ELECTION
    )
    assert computed.sde is not None and computed.sde["A"] == Decimal("0.2500")
