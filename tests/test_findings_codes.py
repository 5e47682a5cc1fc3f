"""Every finding code of docs/contracts.md section 4 on a hand-made sheet, with the candidate it
concerns and a message a reviewer understands; and what is *not* flagged."""

from __future__ import annotations

from decimal import Decimal

import pytest

from canvass.errors import InputError
from canvass.forms.rules import rule_set
from canvass.model import Tally
from reconcile.caucus_math import MathResult, PrecinctInfo, compute
from reconcile.findings import Finding, FindingCode, count_by_code

CANDIDATES = ("Biden", "Buttigieg", "Klobuchar", "Sanders", "Warren", "Uncommitted")
# Solon's 215 attendees, 6 delegates, threshold 33. Final alignment by the rules:
# Sanders 70 -> 1.953 -> 2, Buttigieg 52 -> 1.451 -> 1, Warren 50 -> 1.395 -> 1,
# Biden 33 -> 0.921 -> 1: 5, one short; Buttigieg's .451 is highest below .5 -> 2.
FIRST = {
    "Biden": 30,
    "Buttigieg": 45,
    "Klobuchar": 20,
    "Sanders": 60,
    "Warren": 50,
    "Uncommitted": 10,
}
FINAL = {"Biden": 33, "Buttigieg": 52, "Sanders": 70, "Warren": 50}
RIGHT = {"Biden": 1, "Buttigieg": 2, "Sanders": 2, "Warren": 1}


def check(**changes: object) -> MathResult:
    data: dict[str, object] = {
        "precinct": "JOHNSON-SO",
        "attendees": 215,
        "viability_threshold": 33,
        "first": FIRST,
        "final": FINAL,
        "county_delegates": RIGHT,
    }
    data.update(changes)
    info = PrecinctInfo(id="JOHNSON-SO", delegates_to_elect=6, sde_weight=Decimal("2.43"))
    return compute(Tally.model_validate(data), info, rule_set("iowa-dem-2020"), CANDIDATES)


def only(result: MathResult, code: FindingCode) -> list[Finding]:
    return [f for f in result.findings if f.code == code]


def test_a_correct_sheet_has_no_findings() -> None:
    result = check()
    assert result.findings == ()
    assert dict(result.allocation.delegates) == RIGHT
    assert result.sde is not None and result.sde["Sanders"] == Decimal("0.8100")


def test_first_total_mismatch() -> None:
    result = check(first={**FIRST, "Uncommitted": 25})
    (finding,) = only(result, FindingCode.FIRST_TOTAL_MISMATCH)
    assert finding.candidate is None
    assert finding.message == "First alignment totals 230 but 215 attended at the start"


def test_final_exceeds_attendees() -> None:
    result = check(final={**FINAL, "Klobuchar": 16})
    (finding,) = only(result, FindingCode.FINAL_EXCEEDS_ATTENDEES)
    assert finding == Finding(
        FindingCode.FINAL_EXCEEDS_ATTENDEES,
        None,
        "Final alignment totals 221 but only 215 attended",
    )


def test_viable_group_shrank() -> None:
    # Warren was viable with 50 >= 33 in the first alignment; 49 in the final one.
    result = check(final={**FINAL, "Warren": 49})
    (finding,) = only(result, FindingCode.VIABLE_GROUP_SHRANK)
    assert finding.candidate == "Warren"
    assert "viable in the first alignment with 50" in finding.message
    assert "has 49 in the final alignment" in finding.message


def test_nonviable_first_group_may_leave() -> None:
    # Klobuchar (20) and Uncommitted (10) were below 33: they may realign or leave.
    assert not only(check(), FindingCode.VIABLE_GROUP_SHRANK)


def test_threshold_mismatch() -> None:
    result = check(viability_threshold=32)
    (finding,) = only(result, FindingCode.THRESHOLD_MISMATCH)
    assert finding.message == (
        "The sheet's viability threshold is 32; the rule gives 33 (15% of 215, rounded up)"
    )
    assert not only(check(viability_threshold=None), FindingCode.THRESHOLD_MISMATCH)


def test_nonviable_group_awarded() -> None:
    final = {**FINAL, "Klobuchar": 10}
    result = check(final=final, county_delegates={**RIGHT, "Klobuchar": 1, "Buttigieg": 1})
    (finding,) = only(result, FindingCode.NONVIABLE_GROUP_AWARDED)
    assert finding.candidate == "Klobuchar"
    assert finding.message == (
        "Klobuchar was awarded 1 county delegate but is not viable: "
        "10 in the final alignment, threshold 33"
    )
    # The same group is not reported again as an allocation mismatch.
    assert [f.candidate for f in only(result, FindingCode.ALLOCATION_MISMATCH)] == ["Buttigieg"]


def test_viable_group_unawarded() -> None:
    result = check(county_delegates={**RIGHT, "Biden": 0, "Sanders": 3})
    (finding,) = only(result, FindingCode.VIABLE_GROUP_UNAWARDED)
    assert finding.candidate == "Biden"
    assert finding.message == "Biden is viable with 33 but was awarded no county delegate"


def test_delegate_total_mismatch() -> None:
    result = check(county_delegates={**RIGHT, "Sanders": 3})
    (finding,) = only(result, FindingCode.DELEGATE_TOTAL_MISMATCH)
    assert finding.message == "County delegates awarded total 7 but the precinct elects 6"
    (mismatch,) = only(result, FindingCode.ALLOCATION_MISMATCH)
    assert mismatch.candidate == "Sanders"


def test_allocation_mismatch_says_how_the_rule_got_its_number() -> None:
    result = check(county_delegates={**RIGHT, "Buttigieg": 1, "Warren": 2})
    assert [(f.code, f.candidate) for f in result.findings] == [
        (FindingCode.ALLOCATION_MISMATCH, "Buttigieg"),
        (FindingCode.ALLOCATION_MISMATCH, "Warren"),
    ]
    buttigieg, warren = result.findings
    assert buttigieg.message == (
        "Buttigieg was awarded 1 county delegate; the rules give 2 "
        "(52 x 6 / 215 = 1.451, plus a delegate left over by rounding)"
    )
    assert warren.message == (
        "Warren was awarded 2 county delegates; the rules give 1 (50 x 6 / 215 = 1.395)"
    )


def test_no_allocation_mismatch_where_the_coin_toss_decides() -> None:
    # Buttigieg and Warren both 51 -> 1.423 -> 1: a toss for the 6th delegate. Either
    # outcome on the sheet is fine; 3 is not.
    final = {**FINAL, "Buttigieg": 51, "Warren": 51}
    toss_won = check(final=final, first={**FIRST, "Warren": 51, "Uncommitted": 9})
    assert [f.code for f in toss_won.findings] == [FindingCode.COIN_TOSS_REQUIRED]
    lost = check(
        final=final,
        first={**FIRST, "Warren": 51, "Uncommitted": 9},
        county_delegates={**RIGHT, "Buttigieg": 1, "Warren": 2},
    )
    assert [f.code for f in lost.findings] == [FindingCode.COIN_TOSS_REQUIRED]
    assert "imply Warren won" in lost.findings[0].message
    impossible = check(
        final=final,
        first={**FIRST, "Warren": 51, "Uncommitted": 9},
        county_delegates={"Biden": 1, "Buttigieg": 3, "Sanders": 2, "Warren": 0},
    )
    codes = {(f.code, f.candidate) for f in impossible.findings}
    assert (FindingCode.ALLOCATION_MISMATCH, "Buttigieg") in codes
    assert (FindingCode.VIABLE_GROUP_UNAWARDED, "Warren") in codes  # 1 or 2, never 0
    (buttigieg,) = only(impossible, FindingCode.ALLOCATION_MISMATCH)
    assert "the rules give 1 or 2" in buttigieg.message


def test_coin_toss_required_and_recorded() -> None:
    final = {**FINAL, "Buttigieg": 51, "Warren": 51}
    first = {**FIRST, "Warren": 51, "Uncommitted": 9}
    (finding,) = only(check(final=final, first=first), FindingCode.COIN_TOSS_REQUIRED)
    assert finding.message.startswith(
        "Buttigieg and Warren tie for 1 county delegate: a coin toss decides"
    )
    recorded = check(final=final, first=first, coin_toss_winners=["Buttigieg"])
    assert recorded.findings == ()


def test_more_viable_groups_than_delegates() -> None:
    # 2 delegates, 40 attendees, threshold 10: three viable groups.
    tally = Tally(
        precinct="SMALL",
        attendees=40,
        first={"Biden": 14, "Sanders": 12, "Warren": 10, "Klobuchar": 4},
        final={"Biden": 14, "Sanders": 12, "Warren": 10},
        county_delegates={"Biden": 1, "Sanders": 1},
    )
    info = PrecinctInfo(id="SMALL", delegates_to_elect=2)
    result = compute(tally, info, rule_set("iowa-dem-2020"), CANDIDATES)
    (finding,) = result.findings
    assert finding.code == FindingCode.MORE_VIABLE_GROUPS_THAN_DELEGATES
    assert finding.message.startswith("3 groups are viable but the precinct elects only 2")
    assert result.sde is None  # no SDE weight known


def test_one_delegate_sheet_thresholds_of_either_reading_pass() -> None:
    info = PrecinctInfo(id="ONE", delegates_to_elect=1)
    counts = {"Biden": 12, "Sanders": 28}
    for written, flagged in ((20, False), (21, False), (30, True)):
        tally = Tally(
            precinct="ONE", attendees=40, viability_threshold=written, first=counts, final=counts
        )
        result = compute(tally, info, rule_set("iowa-dem-2020"), CANDIDATES)
        assert bool(only(result, FindingCode.THRESHOLD_MISMATCH)) is flagged


def test_one_delegate_given_to_a_smaller_group() -> None:
    info = PrecinctInfo(id="ONE", delegates_to_elect=1)
    counts = {"Biden": 12, "Sanders": 18, "Warren": 10}
    tally = Tally(
        precinct="ONE", attendees=40, first=counts, final=counts, county_delegates={"Biden": 1}
    )
    result = compute(tally, info, rule_set("iowa-dem-2020"), CANDIDATES)
    assert {(f.code, f.candidate) for f in result.findings} == {
        (FindingCode.NONVIABLE_GROUP_AWARDED, "Biden"),
        (FindingCode.VIABLE_GROUP_UNAWARDED, "Sanders"),
    }


def test_input_errors_say_what_to_fix() -> None:
    with pytest.raises(InputError, match=r"unknown candidate.*Sandres"):
        check(final={"Sandres": 3})
    tally = Tally(precinct="NOWHERE-1", attendees=3)
    with pytest.raises(InputError, match="give delegates_to_elect"):
        compute(tally, None, rule_set("iowa-dem-2020"), CANDIDATES)


def test_count_by_code_counts_precincts_not_findings() -> None:
    two = check(county_delegates={**RIGHT, "Buttigieg": 1, "Warren": 2})
    counts = count_by_code([two.findings, check().findings])
    assert counts["ALLOCATION_MISMATCH"] == 1
    assert set(counts) == {code.value for code in FindingCode}
