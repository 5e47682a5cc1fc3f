"""Report field keys are the election's form's: a general election's results sheet."""

from __future__ import annotations

import json

from canvass.elections.iowa2020_general import build_general, general_data_dir
from canvass.settings import BUILTIN_DATA
from ingest.reports import parse_reports
from tests.support.iowa import IOWA

GENERAL = build_general(general_data_dir(BUILTIN_DATA))
WARD = "CERROGORDO-CLEAR-LAKE-WARD-1"
TRUMP = "Donald J. Trump and Michael R. Pence"


def test_a_general_election_report_carries_the_results_sheet_keys() -> None:
    csv = (
        "precinct,field,value\n"
        f"{WARD},election_day.{TRUMP},490\n"
        f"{WARD},absentee.{TRUMP},445\n"
        f"{WARD},total.{TRUMP},935\n"
        f"{WARD},total.Write-in,3\n"
        f"{WARD},total,1901\n"
    )
    parsed = parse_reports(csv.encode(), "r.csv", GENERAL)
    assert parsed.errors == []
    [report] = parsed.reports
    assert report.fields[f"total.{TRUMP}"] == 935 and report.fields["total"] == 1901
    line = {"precinct": WARD, "fields": {f"election_day.{TRUMP}": 490, "absentee": 1}}
    parsed = parse_reports(json.dumps(line).encode(), "r.jsonl", GENERAL)
    assert parsed.errors == []
    assert parsed.reports[0].fields == {"absentee": 1, f"election_day.{TRUMP}": 490}


def test_an_unknown_key_for_the_general_form_is_refused_naming_the_allowed_keys() -> None:
    rows = [
        "first.Write-in",
        "attendees",
        "sde.Write-in",
        "coin_toss.Write-in",
        "total.Nobody",
    ]
    csv = "precinct,field,value\n" + "".join(f"{WARD},{k},3\n" for k in rows)
    parsed = parse_reports(csv.encode(), "r.csv", GENERAL)
    assert parsed.reports == []
    messages = [e.message for e in parsed.errors]
    assert [e.line for e in parsed.errors] == [2, 3, 4, 5, 6]
    allowed = (
        "use election_day.<Ballot line>, election_day (Totals row), absentee.<Ballot line>, "
        "absentee (Totals row), total.<Ballot line>, total (Totals row)"
    )
    for message in messages[:4]:
        assert message.startswith("unknown field") and allowed in message, message
    assert messages[4].startswith("unknown ballot line 'Nobody' in 'total.Nobody'")
    assert "Write-in" in messages[4]


def test_caucus_reports_keep_reported_sde_and_refuse_sheet_only_keys() -> None:
    csv = (
        "precinct,field,value\n"
        "POLK-ANK-01,sde.Sanders,0.8394\n"
        "POLK-ANK-01,coin_toss.Sanders,1\n"
        "POLK-ANK-01,election_day.Sanders,1\n"
    )
    parsed = parse_reports(csv.encode(), "r.csv", IOWA)
    assert [e.line for e in parsed.errors] == [3, 4]
    assert "on the sheet but not in reports" in parsed.errors[0].message
    assert "sde.<Candidate>" in parsed.errors[1].message
    good = parse_reports(b"precinct,field,value\nPOLK-ANK-01,sde.Sanders,0.8394\n", "r.csv", IOWA)
    assert good.reports[0].fields == {"sde.Sanders": 0.8394}
