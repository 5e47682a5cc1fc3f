"""Paper against reports for one precinct, with readings built from certified 2020 numbers."""

from __future__ import annotations

from canvass.model import FieldReading
from reconcile.compare import Paper, reconcile_precinct
from tests.support.iowa import CERTIFIED, IOWA
from tests.support.readings import PRECINCT, TALLY, confident_field, reading_of, report_of, shaky


def test_matching_paper_and_report_clear_every_field() -> None:
    paper = Paper(1, reading_of(TALLY), PRECINCT)
    result = reconcile_precinct(IOWA, PRECINCT, paper, {"app": report_of(TALLY)})
    assert result.discrepancies == ()
    assert len(result.cleared) == 1 + 3 * len(IOWA.candidates)


def test_a_transposed_count_is_a_mismatch_with_its_effect() -> None:
    report = report_of(TALLY) | {"final.Sanders": 21}  # paper 12
    result = reconcile_precinct(IOWA, PRECINCT, Paper(1, reading_of(TALLY)), {"app": report})
    [d] = [d for d in result.discrepancies if d.kind == "mismatch"]
    assert d.fields == ("final.Sanders",)
    assert d.details["paper"] == 12 and d.details["reported"] == {"app": 21}
    assert "paper says 12" in d.message
    assert d.effect_delegates > 0 and d.effect_sde > 0


def test_an_uncertain_reading_that_clearly_contradicts_the_report_is_a_mismatch() -> None:
    sure_12 = confident_field(12, 4, sure=0.999999)
    uncertain = sure_12.model_copy(update={"status": "uncertain"})
    report = report_of(TALLY) | {"final.Sanders": 21}
    paper = Paper(1, reading_of(TALLY, **{"final.Sanders": uncertain}))
    [d] = reconcile_precinct(IOWA, PRECINCT, paper, {"app": report}).discrepancies
    assert (d.kind, d.fields) == ("mismatch", ("final.Sanders",))
    assert "paper says 12" in d.message
    weak = confident_field(12, 4, sure=0.9).model_copy(update={"status": "uncertain"})
    paper = Paper(1, reading_of(TALLY, **{"final.Sanders": weak}))
    [d] = reconcile_precinct(IOWA, PRECINCT, paper, {"app": report}).discrepancies
    assert d.kind == "unreadable"  # the paper does not settle it: keyed blind


def test_swapped_columns_give_two_mismatches() -> None:
    first = TALLY.first
    assert first["Biden"] != first["Klobuchar"]
    report = report_of(TALLY) | {
        "first.Biden": first["Klobuchar"],
        "first.Klobuchar": first["Biden"],
    }
    result = reconcile_precinct(IOWA, PRECINCT, Paper(1, reading_of(TALLY)), {"app": report})
    assert sorted(d.fields[0] for d in result.discrepancies) == ["first.Biden", "first.Klobuchar"]


def test_an_unreadable_field_goes_to_review_and_holds_back_findings() -> None:
    blurred = FieldReading(value=None, confidence=0.3, status="unreadable", boxes=())
    paper = Paper(1, reading_of(TALLY, **{"final.Warren": blurred}))
    result = reconcile_precinct(IOWA, PRECINCT, paper, {"app": report_of(TALLY)})
    assert [(d.kind, d.fields) for d in result.discrepancies] == [("unreadable", ("final.Warren",))]
    decided = reconcile_precinct(
        IOWA, PRECINCT, paper, {"app": report_of(TALLY)}, decided={"final.Warren": 7}
    )
    assert "final.Warren" in decided.cleared


def test_sources_that_disagree() -> None:
    app, hotline = report_of(TALLY), report_of(TALLY) | {"final.Biden": 8}
    result = reconcile_precinct(
        IOWA, PRECINCT, Paper(1, reading_of(TALLY)), {"app": app, "hotline": hotline}
    )
    [d] = result.discrepancies
    assert d.kind == "sources_disagree" and d.details["reported"] == {"app": 7, "hotline": 8}


def test_missing_sides_and_precinct_conflict() -> None:
    nothing = reconcile_precinct(IOWA, PRECINCT, None, {"app": report_of(TALLY)})
    assert [d.kind for d in nothing.discrepancies] == ["missing_paper"]
    assert nothing.discrepancies[0].effect_delegates == 9
    no_report = reconcile_precinct(IOWA, PRECINCT, Paper(1, reading_of(TALLY)), {})
    assert [d.kind for d in no_report.discrepancies] == ["missing_report"]
    conflict = reconcile_precinct(
        IOWA, PRECINCT, Paper(1, reading_of(TALLY), "BENTON-BN"), {"app": report_of(TALLY)}
    )
    assert [d.kind for d in conflict.discrepancies] == ["precinct_conflict"]


def test_reported_sde_is_compared_as_county_delegates() -> None:
    sde = CERTIFIED[PRECINCT].sde
    report = {k: v for k, v in report_of(TALLY).items() if not k.startswith("county_delegates")}
    good = report | {f"sde.{c}": v for c, v in sde.items()}
    result = reconcile_precinct(IOWA, PRECINCT, Paper(1, reading_of(TALLY)), {"published": good})
    assert result.discrepancies == ()
    bad = good | {"sde.Sanders": sde["Sanders"] * 2}
    result = reconcile_precinct(IOWA, PRECINCT, Paper(1, reading_of(TALLY)), {"published": bad})
    assert [d.fields for d in result.discrepancies] == [("county_delegates.Sanders",)]


def test_worksheet_math_findings_attach_to_the_precinct() -> None:
    wrong = TALLY.model_copy(
        update={"county_delegates": dict(TALLY.county_delegates or {}) | {"Biden": 3}}
    )
    result = reconcile_precinct(
        IOWA, PRECINCT, Paper(1, reading_of(wrong)), {"app": report_of(wrong)}
    )
    codes = {d.details["code"] for d in result.discrepancies if d.kind == "math_finding"}
    assert "DELEGATE_TOTAL_MISMATCH" in codes


def test_keys_are_stable_for_the_same_inputs() -> None:
    report = report_of(TALLY) | {"final.Sanders": 21}
    first = reconcile_precinct(IOWA, PRECINCT, Paper(1, reading_of(TALLY)), {"app": report})
    again = reconcile_precinct(IOWA, PRECINCT, Paper(1, reading_of(TALLY)), {"app": report})
    assert [d.key for d in first.discrepancies] == [d.key for d in again.discrepancies]
    changed = reconcile_precinct(
        IOWA, PRECINCT, Paper(1, reading_of(TALLY)), {"app": report | {"final.Sanders": 22}}
    )
    assert {d.key for d in changed.discrepancies} != {d.key for d in first.discrepancies}


def test_the_sheets_sums_confirm_a_count_its_image_alone_cannot() -> None:
    """first.Sanders 12 read at 0.99 a digit: alone it stays in review; with the first
    alignment adding up to the 44 attendees it clears."""
    paper = Paper(1, reading_of(TALLY, **{"first.Sanders": shaky(12, 4, 0.995)}))
    result = reconcile_precinct(IOWA, PRECINCT, paper, {"app": report_of(TALLY)})
    assert "first.Sanders" in result.cleared
    assert result.discrepancies == ()
    report = report_of(TALLY) | {"first.Sanders": 13}  # breaks the sum: not verified
    [d] = reconcile_precinct(IOWA, PRECINCT, paper, {"app": report}).discrepancies
    assert d.fields == ("first.Sanders",) and d.kind in ("mismatch", "unreadable")
    assert d.details["support"] < d.details["image_support"] < 0.01


def test_a_keyed_count_lets_the_sums_confirm_the_rest_of_its_column() -> None:
    """Two shaky counts in the first alignment: neither can confirm the other; once a
    person keys one from the crop, the sum confirms the other."""
    smudged = {"first.Sanders": shaky(12, 4, 0.9), "first.Biden": shaky(7, 4, 0.9)}
    paper = Paper(1, reading_of(TALLY, **smudged))
    report = {"app": report_of(TALLY)}
    before = reconcile_precinct(IOWA, PRECINCT, paper, report)
    assert {d.fields for d in before.discrepancies} == {("first.Sanders",), ("first.Biden",)}
    after = reconcile_precinct(IOWA, PRECINCT, paper, report, decided={"first.Biden": 7})
    assert after.discrepancies == ()
    assert {"first.Sanders", "first.Biden"} <= set(after.cleared)


def test_an_items_key_does_not_move_with_its_support() -> None:
    smudged = {"first.Sanders": shaky(12, 4, 0.6), "first.Biden": shaky(7, 4, 0.6)}
    paper = Paper(1, reading_of(TALLY, **smudged))
    report = {"app": report_of(TALLY) | {"first.Sanders": 21}}
    before = reconcile_precinct(IOWA, PRECINCT, paper, report)
    after = reconcile_precinct(IOWA, PRECINCT, paper, report, decided={"first.Biden": 7})
    [b] = [d for d in before.discrepancies if d.fields == ("first.Sanders",)]
    [a] = [d for d in after.discrepancies if d.fields == ("first.Sanders",)]
    assert a.details["support"] != b.details["support"]
    assert a.key == b.key


def test_a_number_no_report_gives_and_the_paper_does_not_settle_is_keyed_blind() -> None:
    """Without any report, an unreadable count must not pass as a silent 0: it becomes an
    `unreadable` item (keyed blind), beside the missing report; so the county cannot be
    signed off with it undetermined."""
    unreadable = FieldReading(value=None, confidence=0.3, status="unreadable")
    paper = Paper(1, reading_of(TALLY, **{"first.Sanders": unreadable}), PRECINCT)
    result = reconcile_precinct(IOWA, PRECINCT, paper, {})
    kinds = {(d.kind, d.fields) for d in result.discrepancies}
    assert kinds == {("missing_report", ()), ("unreadable", ("first.Sanders",))}
    assert result.unsettled == ("first.Sanders",)
    decided = reconcile_precinct(IOWA, PRECINCT, paper, {}, {"first.Sanders": 12})
    assert {d.kind for d in decided.discrepancies} == {"missing_report"}
    assert decided.unsettled == ()
