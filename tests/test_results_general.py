"""The people's side for a general election's precinct results sheet (form
`precinct-results`, rule set `vote-count`): results rows, CSV and JSON, labels, the
uploader's read-back, the certification report, the pages and `canvass math` - none of
them with a delegate or an SDE, all of them from the form."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from canvass.cli.math_files import check_sheets, read_sheets
from canvass.errors import InputError
from canvass.forms.registry import form_of
from canvass.forms.spec import key_of
from canvass.model import County, Election, FieldReading, Precinct, SheetReading
from canvass.report import ReportContent, render_html, render_pdf
from canvass.settings import Settings
from canvass.store.accounts import add_account
from canvass.store.db import migrate, open_engine
from canvass.store.elections import save_election
from canvass.store.intake import ReportVersion, store_reports
from canvass.store.readings import record_reading
from canvass.store.types import utcnow
from canvass.stories.certify import (
    certify_scope,
    compare_rows,
    report_totals,
    signer_named,
    would_change,
)
from canvass.stories.results import (
    ResultRow,
    results_csv,
    served_results,
    totals,
    values_from_report,
)
from canvass.web.itemview import field_label
from canvass.web.readback import read_back
from ingest.blobs import LocalBlobStore
from ingest.photos import Custody, Intake, intake_photo
from tests.support.client import bearer, client_for, sign_in
from tests.support.images import jpeg
from tests.support.intake import LIMITS
from tests.support.readings import confident_field, shaky
from tests.support.site import PASSWORD

TRUMP = "Donald J. Trump and Michael R. Pence"  # dots in a row's name
BIDEN = "Joseph R. Biden and Kamala D. Harris"
WRITE_IN = "Write-in"
GENERAL = Election(
    id="test-general",
    name="Test general election, President",
    rule_set="vote-count",
    form="precinct-results",
    candidates=(TRUMP, BIDEN, WRITE_IN),
    counties=(County(name="Story"), County(name="Boone")),
    precincts=(
        Precinct(id="STORY-1", county="Story", name="Ames 1"),
        Precinct(id="STORY-2", county="Story", name="Ames 2"),
        Precinct(id="BOONE-1", county="Boone", name="Boone 1"),
    ),
)
SHEETS = {  # per line: election day, absentee (the total is their sum)
    "STORY-1": {TRUMP: (300, 200), BIDEN: (250, 350), WRITE_IN: (3, 2)},
    "STORY-2": {TRUMP: (100, 50), BIDEN: (80, 90), WRITE_IN: (0, 1)},
}


def sheet_values(precinct: str) -> dict[str, int]:
    """The sheet's numbers as written, every field (the totals row's too), consistent."""
    values: dict[str, int] = {}
    lines = SHEETS[precinct]
    for line, (day, absentee) in lines.items():
        values |= {
            key_of("election_day", line): day,
            key_of("absentee", line): absentee,
            key_of("total", line): day + absentee,
        }
    values[key_of("election_day")] = sum(d for d, _ in lines.values())
    values[key_of("absentee")] = sum(a for _, a in lines.values())
    values[key_of("total")] = sum(d + a for d, a in lines.values())
    return values


def rows() -> list[ResultRow]:
    return [
        ResultRow("STORY-1", "Story", "Ames 1", "paper", sheet_values("STORY-1")),
        ResultRow(
            "STORY-2",
            "Story",
            "Ames 2",
            "paper",
            sheet_values("STORY-2"),
            provisional=(key_of("absentee", WRITE_IN),),
            undetermined=(key_of("absentee", WRITE_IN),),
        ),
    ]


def test_a_results_row_as_json_has_the_sheets_columns_and_no_sde() -> None:
    first, second = (r.as_json(GENERAL) for r in rows())
    assert first == {
        "precinct": "STORY-1",
        "county": "Story",
        "backed_by": "paper",
        "election_day": {TRUMP: 300, BIDEN: 250, WRITE_IN: 3},
        "absentee": {TRUMP: 200, BIDEN: 350, WRITE_IN: 2},
        "total": {TRUMP: 500, BIDEN: 600, WRITE_IN: 5},
        "totals": {"election_day": 553, "absentee": 552, "total": 1105},
        "provisional": [],
        "undetermined": [],
    }
    assert second["election_day"] == {TRUMP: 100, BIDEN: 80}  # counts of 0 left out
    assert second["undetermined"] == ["absentee.Write-in"]
    again = ResultRow.from_record(json.loads(json.dumps(rows()[1].as_record())))
    assert again == rows()[1] and again.sde is None


def test_results_csv_has_each_line_the_totals_row_and_county_and_state_totals() -> None:
    text = results_csv(rows(), GENERAL)
    lines = text.splitlines()
    assert lines[0] == (
        "county,precinct,name,backed_by,candidate,election_day,absentee,total,provisional"
    )
    assert lines[1] == f"Story,STORY-1,Ames 1,paper,{TRUMP},300,200,500,no"
    assert lines[4] == "Story,STORY-1,Ames 1,paper,Totals,553,552,1105,no"
    assert lines[8] == "Story,STORY-2,Ames 2,paper,Totals,180,141,321,yes"
    assert lines[9:] == [
        f"Story,TOTAL,,,{TRUMP},400,250,650,yes",
        f"Story,TOTAL,,,{BIDEN},330,440,770,yes",
        "Story,TOTAL,,,Write-in,3,3,6,yes",
        "Story,TOTAL,,,Totals,733,693,1426,yes",
        f"ALL,TOTAL,,,{TRUMP},400,250,650,yes",
        f"ALL,TOTAL,,,{BIDEN},330,440,770,yes",
        "ALL,TOTAL,,,Write-in,3,3,6,yes",
        "ALL,TOTAL,,,Totals,733,693,1426,yes",
    ]
    summed = totals(rows(), GENERAL)
    assert list(summed) == [TRUMP, BIDEN, WRITE_IN, "Totals"]
    assert summed[BIDEN].as_json() == {"election_day": 330, "absentee": 440, "total": 770}


def test_a_documented_exceptions_report_goes_through_the_form() -> None:
    report = {key: float(v) for key, v in sheet_values("STORY-1").items()}
    report["sde.Write-in"] = 1.5  # not a field of this form: left out
    assert values_from_report(report, GENERAL) == sheet_values("STORY-1")


def test_labels_come_from_the_form() -> None:
    assert field_label(GENERAL, key_of("absentee", TRUMP)) == f"Absentee, {TRUMP}"
    assert field_label(GENERAL, key_of("total")) == "Total votes, Totals"
    assert form_of(GENERAL).row_of(key_of("election_day", BIDEN)) == BIDEN


def test_the_read_back_of_a_results_sheet_lists_each_column_and_its_totals() -> None:
    fields = {k: confident_field(v, 4) for k, v in sheet_values("STORY-2").items()}
    fields[key_of("absentee", BIDEN)] = shaky(90, 4, 0.9)
    fields[key_of("total", WRITE_IN)] = FieldReading(
        value=None, confidence=0.2, status="unreadable"
    )
    reading = SheetReading(status="read", precinct="STORY-2", form="x", fields=fields)
    back = read_back(reading, GENERAL)
    assert back.title == "Precinct Story Ames 2 (STORY-2)"
    assert back.lines == [
        f"Election day: {TRUMP} 100, {BIDEN} 80, Totals 180",
        f"Absentee: {TRUMP} 50, {BIDEN} 90?, {WRITE_IN} 1, Totals 141",
        f"Total votes: {TRUMP} 150, {BIDEN} 170, {WRITE_IN} ?, Totals 321",
    ]
    assert back.needs_person == [f"Absentee: {BIDEN} (90?)", f"Total votes: {WRITE_IN}"]


def test_the_certification_report_has_the_forms_columns_and_no_sde() -> None:
    table = report_totals(rows(), GENERAL)
    assert table["headings"] == ["Election day", "Absentee", "Total votes"]
    assert table["row_heading"] == "Ballot line"
    assert table["totals"][-1] == ("Totals", ["733", "693", "1426"])
    content = ReportContent(
        election=GENERAL.name,
        scope="Story",
        certifier="Pat",
        role="auditor",
        at="2020-11-10 12:00:00",
        manifest="m" * 64,
        audit_head="h",
        precincts=2,
        items=[],
        **table,
    )
    html = render_html(content)
    assert "Ballot line" in html and "Total votes" in html and "1426" in html
    assert "SDE" not in html and "Caucus" not in html and "delegate" not in html.lower()
    assert render_pdf(content).startswith(b"%PDF")


def test_reopening_compares_the_forms_numbers() -> None:
    before, after = rows()[0], rows()[1]
    moved = ResultRow(
        before.precinct, before.county, before.name, "paper", after.values, None, (), ()
    )
    changes = compare_rows([before], [moved], GENERAL)
    fields = [c.field for c in changes.changes]
    assert key_of("election_day", TRUMP) in fields and key_of("total") in fields
    assert not any(f.startswith("sde") for f in fields)


def loaded(settings: Settings) -> Engine:
    """A database holding GENERAL: STORY-1's and STORY-2's sheets read clearly, the app's
    reports agreeing; nothing from BOONE-1."""
    engine = open_engine(settings)
    migrate(engine)
    save_election(engine, GENERAL)
    intake = Intake(engine, LocalBlobStore(settings.photos_dir), GENERAL, LIMITS)
    reports = []
    for seed, precinct in enumerate(SHEETS):
        stored = intake_photo(
            intake, jpeg(seed=700 + seed), f"{precinct}.jpg", Custody("u", "t", precinct)
        )
        assert stored.photo_id is not None
        values = sheet_values(precinct)
        fields = {k: confident_field(v, 4) for k, v in values.items()}
        reading = SheetReading(status="read", precinct=precinct, form="x", fields=fields)
        record_reading(engine, stored.photo_id, GENERAL.id, reading, None, utcnow())
        reports.append(ReportVersion(precinct, dict(values), None))
    store_reports(engine, GENERAL.id, "app", "app.jsonl", "sha-general", reports, utcnow())
    add_account(engine, "chair", PASSWORD, "certifier", utcnow(), "Chair", scopes=["Story"])
    return engine


def test_served_results_of_a_general_election(sqlite_settings: Settings) -> None:
    engine = loaded(sqlite_settings)
    served = served_results(engine, GENERAL)
    assert [r.precinct for r in served] == ["STORY-1", "STORY-2"]
    assert all(r.sde is None for r in served)
    shown = served[0].as_json(GENERAL)
    assert shown["total"] == {TRUMP: 500, BIDEN: 600, WRITE_IN: 5}
    assert shown["totals"] == {"election_day": 553, "absentee": 552, "total": 1105}
    engine.dispose()


def test_the_results_pages_and_api_of_a_general_election(sqlite_settings: Settings) -> None:
    loaded(sqlite_settings).dispose()
    with client_for(sqlite_settings) as client:
        auth = bearer(sqlite_settings, "chair")
        api = client.get("/api/results", headers=auth).json()
        assert api["totals"]["Totals"] == {"election_day": 733, "absentee": 693, "total": 1426}
        assert "sde" not in api["totals"][TRUMP] and "sde" not in api["precincts"][0]
        sign_in(client, "chair")
        state = client.get("/results").text
        county = client.get("/results/Story").text
    for html in (state, county):
        assert "Ballot line" in html and "Total votes" in html and "1426" in html
        assert "SDE" not in html and "caucus" not in html.lower()
    assert "Ames 2" in county and "321" in county


def test_canvass_math_checks_a_results_sheets_identities(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = sheet_values("STORY-1") | {key_of("total", BIDEN): 601}
    path = tmp_path / "sheets.jsonl"
    lines = [
        {"precinct": "STORY-1", "values": broken},
        {"precinct": "STORY-2", "values": sheet_values("STORY-2")},
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    check_sheets(path, GENERAL, as_json=True)
    results = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["precinct"] for r in results] == ["STORY-1", "STORY-2"]
    codes = {(f["code"], tuple(f["fields"])) for f in results[0]["findings"]}
    assert ("LINE_TOTAL_MISMATCH", (key_of("total", BIDEN),)) in codes
    assert ("COLUMN_TOTAL_MISMATCH", ("total",)) in codes
    assert results[1]["findings"] == []
    path.write_text(json.dumps({"precinct": "STORY-1", "values": {"first.Biden": 3}}))
    with pytest.raises(InputError, match="not a field of the Precinct Results sheet"):
        read_sheets(path, GENERAL)


def test_a_general_county_is_certified_with_its_forms_files(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    engine = loaded(sqlite_settings)
    signer = signer_named(engine, "chair")
    out = tmp_path / "story"
    done = certify_scope(engine, GENERAL, "Story", signer, "county auditor", out, utcnow())
    assert done.precincts == 2
    csv_text = (out / "results.csv").read_text()
    assert csv_text.splitlines()[0].endswith(",election_day,absentee,total,provisional")
    assert "Story,TOTAL,,,Totals,733,693,1426,no" in csv_text
    html = (out / "report.html").read_text()
    assert "Ballot line" in html and "Total votes" in html and "SDE" not in html
    assert GENERAL.name in html and "Votes as counted" in html  # the rule set's title
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")
    signed = served_results(engine, GENERAL, "Story")
    assert [r.values for r in signed] == [sheet_values("STORY-1"), sheet_values("STORY-2")]
    assert not would_change(engine, GENERAL, "Story")
    engine.dispose()
