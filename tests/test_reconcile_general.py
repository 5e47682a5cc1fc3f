"""Paper against reports on the second form, the precinct results sheet of a general
election (rule set `vote-count`): the same reconciler, the form's keys and identities."""

from __future__ import annotations

from canvass.forms.registry import form_of
from canvass.model import County, Election, Precinct, SheetReading
from reconcile.compare import Paper, field_keys, reconcile_precinct
from reconcile.sheet_math import check_sheet
from tests.support.readings import confident_field, shaky

LINES = ("Biden and Harris", "Trump and Pence", "Write-in")
GENERAL = Election(
    id="test-general",
    name="A general election",
    rule_set="vote-count",
    form="precinct-results",
    candidates=LINES,
    counties=(County(name="Adair"),),
    precincts=(Precinct(id="ADAIR-1NW", county="Adair", name="1 NW"),),
)
TRUE = {  # Adair 1 NW, 2020: election day, absentee, total per line, then the totals row
    "election_day.Biden and Harris": 90,
    "absentee.Biden and Harris": 125,
    "total.Biden and Harris": 215,
    "election_day.Trump and Pence": 384,
    "absentee.Trump and Pence": 244,
    "total.Trump and Pence": 628,
    "election_day.Write-in": 1,
    "absentee.Write-in": 2,
    "total.Write-in": 3,
    "election_day": 475,
    "absentee": 371,
    "total": 846,
}


def paper(**override: int) -> Paper:
    values = TRUE | override
    fields = {k: confident_field(v, 4) for k, v in values.items()}
    return Paper(1, SheetReading(status="read", precinct="ADAIR-1NW", form="t", fields=fields))


def test_the_compared_keys_are_the_forms() -> None:
    assert field_keys(GENERAL) == form_of(GENERAL).reported_keys(LINES)
    assert set(field_keys(GENERAL)) == set(TRUE)


def test_matching_paper_and_report_clear_every_field() -> None:
    result = reconcile_precinct(GENERAL, "ADAIR-1NW", paper(), {"app": dict(TRUE)})
    assert result.discrepancies == ()
    assert sorted(result.cleared) == sorted(TRUE)
    assert result.paper is not None and result.paper.values == TRUE
    assert result.math is not None and result.math.findings == ()


def test_a_transposed_count_is_a_mismatch_moving_votes() -> None:
    report = TRUE | {"absentee.Trump and Pence": 424}
    result = reconcile_precinct(GENERAL, "ADAIR-1NW", paper(), {"app": report})
    [d] = result.discrepancies
    assert (d.kind, d.fields) == ("mismatch", ("absentee.Trump and Pence",))
    assert d.effect_delegates == 180 and d.effect_sde == 0


def test_a_sheet_whose_line_does_not_add_up_is_a_finding_on_its_total() -> None:
    report = TRUE | {"total.Write-in": 4, "total": 847}
    sheet = paper(**{"total.Write-in": 4, "total": 847})
    result = reconcile_precinct(GENERAL, "ADAIR-1NW", sheet, {"app": report})
    findings = [d for d in result.discrepancies if d.kind == "math_finding"]
    codes = sorted((d.details["code"], d.fields) for d in findings)
    assert codes == [  # the total column still adds up to 847; its totals row does not
        ("LINE_TOTAL_MISMATCH", ("total",)),
        ("LINE_TOTAL_MISMATCH", ("total.Write-in",)),
    ]
    [line] = [d for d in findings if d.fields == ("total.Write-in",)]
    assert "add up to 3, but Total votes, Write-in is 4" in line.message


def test_a_shaky_count_the_line_total_confirms_clears() -> None:
    sheet = paper()
    fields = dict(sheet.reading.fields)
    fields["absentee.Write-in"] = shaky(2, 4, 0.97)
    sheet = Paper(1, sheet.reading.model_copy(update={"fields": fields}))
    result = reconcile_precinct(GENERAL, "ADAIR-1NW", sheet, {"app": dict(TRUE)})
    assert "absentee.Write-in" in result.cleared


def test_a_key_a_person_enters_above_its_line_total_is_out_of_bounds() -> None:
    blurred = paper()
    fields = dict(blurred.reading.fields)
    fields["absentee.Write-in"] = shaky(2, 4, 0.3)
    sheet = Paper(1, blurred.reading.model_copy(update={"fields": fields}))
    result = reconcile_precinct(
        GENERAL, "ADAIR-1NW", sheet, {"app": dict(TRUE)}, decided={"absentee.Write-in": 9}
    )
    [d] = [d for d in result.discrepancies if d.details.get("code") == "KEYED_VALUE_OUT_OF_BOUNDS"]
    assert d.fields == ("absentee.Write-in",)


def test_check_sheet_names_every_identity_broken() -> None:
    math = check_sheet(GENERAL, "ADAIR-1NW", TRUE | {"election_day": 470})
    assert [(f.code, f.fields) for f in math.findings] == [
        ("LINE_TOTAL_MISMATCH", ("total",)),
        ("COLUMN_TOTAL_MISMATCH", ("election_day",)),
    ]
    assert math.allocation is None and math.sde is None
