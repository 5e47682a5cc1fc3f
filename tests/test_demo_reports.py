"""The demo's electronic reports: the same errors as before forms were data on the caucus
demo, and the same kinds of error on the general election's results sheets."""

from __future__ import annotations

import hashlib
import json

import pytest

from canvass.demo_reports import KINDS, DemoReports, make_reports, report_keys
from canvass.elections.iowa2020_general import build_general, general_data_dir, load_general_numbers
from canvass.forms.caucus import CAUCUS_WORKSHEET, values_from_tally
from canvass.forms.registry import form_of
from canvass.model import SheetNumbers
from canvass.settings import BUILTIN_DATA
from tests.support.iowa import CERTIFIED, IOWA

DEMO_COUNTIES = ("Adair", "Adams", "Story")
# Recorded from canvass/demo_reports.py as it was before it took SheetNumbers (commit
# 2e64be7, make_reports(tallies, seed) over the certified tallies): sha256 of
# json.dumps({"app", "hotline", "injected": [[precinct, kind, fields, description]]},
# sort_keys=True) for the demo's three counties, and for every unit with seed 2020.
BEFORE = {
    2020: "8fba5c525a95d24d3b4ac2057e94d1372c4d75b186618151fcd1540667386346",
    1: "526aabdf18eaddf7606e28463c62524d5ba4dbafe2e359295207d78ae40fa244",
    7: "a728bdccdf0b7478d3b7053f69467dd4e0340b659c567092a80fcd21887f57ca",
    12345: "037eda83f2ca854448785bdd440f0a69f8a52d372baf0866ad879db0b57d55ce",
}
BEFORE_ALL_UNITS = "7ff3785e54f6ad40089d0359033f0671d5ce27d29a0c103d9dcb3164174300e3"
BEFORE_2020 = [
    ("ADAMS-AD2", "off_by_few", ("first.Biden",)),
    ("ADAMS-AD3", "off_by_few", ("first.Klobuchar",)),
    ("STORY-13", "transposed", ("first.Biden",)),
    ("STORY-14", "copied", None),
    ("STORY-15", "copied", None),
    ("STORY-30", "copied", None),
    ("STORY-34", "transposed", ("attendees",)),
    ("STORY-40", "transposed", ("first.Sanders",)),
]


def caucus_sheets() -> list[SheetNumbers]:
    """The certified tallies as the caucus worksheets' numbers, in election order."""
    return [
        SheetNumbers(
            precinct=p.id,
            values=values_from_tally(CERTIFIED[p.id].tally, IOWA.candidates, p.satellite),
        )
        for p in IOWA.precincts
        if p.id in CERTIFIED
    ]


def digest(reports: DemoReports) -> str:
    record = {
        "app": reports.app,
        "hotline": reports.hotline,
        "injected": [[e.precinct, e.kind, list(e.fields), e.description] for e in reports.injected],
    }
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()


def test_the_caucus_demo_gets_the_same_reports_and_errors_as_before() -> None:
    sheets = caucus_sheets()
    county = {p.id: p.county for p in IOWA.precincts}
    demo = [s for s in sheets if county[s.precinct] in DEMO_COUNTIES]
    assert len(demo) == 53
    for seed, expected in BEFORE.items():
        assert digest(make_reports(demo, CAUCUS_WORKSHEET, IOWA.candidates, seed)) == expected
    injected = make_reports(demo, CAUCUS_WORKSHEET, IOWA.candidates, 2020).injected
    assert [(e.precinct, e.kind) for e in injected] == [(p, k) for p, k, _ in BEFORE_2020]
    for error, (_, _, fields) in zip(injected, BEFORE_2020, strict=True):
        assert fields is None or error.fields == fields
    everyone = make_reports(sheets, CAUCUS_WORKSHEET, IOWA.candidates, 2020)
    assert digest(everyone) == BEFORE_ALL_UNITS


def test_caucus_reports_carry_the_counts_but_not_the_written_threshold() -> None:
    keys = report_keys(CAUCUS_WORKSHEET, IOWA.candidates)
    assert keys[0] == "attendees" and "viability_threshold" not in keys
    assert len(keys) == 1 + 3 * len(IOWA.candidates)


GENERAL = build_general(general_data_dir(BUILTIN_DATA))


@pytest.mark.parametrize("seed", [2020, 1, 7])
def test_the_general_election_gets_the_same_kinds_of_error(seed: int) -> None:
    sheets = load_general_numbers(general_data_dir(BUILTIN_DATA), GENERAL)
    spec = form_of(GENERAL)
    keys = report_keys(spec, GENERAL.candidates)
    assert keys == spec.number_keys(GENERAL.candidates)
    reports = make_reports(sheets, spec, GENERAL.candidates, seed)
    assert make_reports(sheets, spec, GENERAL.candidates, seed) == reports
    kinds = {e.kind for e in reports.injected}
    assert kinds == set(KINDS)
    assert 0.1 * len(sheets) < len(reports.injected) < 0.2 * len(sheets)
    injected = {e.precinct: e for e in reports.injected}
    for sheet in sheets:
        error = injected.get(sheet.precinct)
        report = reports.app.get(sheet.precinct)
        if error is None:
            assert report == sheet.values
            continue
        if error.kind == "missing":
            assert report is None and sheet.precinct not in reports.hotline
            continue
        assert report is not None and error.fields
        wrong = {k for k in keys if report.get(k) != sheet.values[k]}
        assert wrong == set(error.fields), error
        assert reports.hotline.get(sheet.precinct, sheet.values) == sheet.values
