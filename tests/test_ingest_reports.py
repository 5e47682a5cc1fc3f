"""Electronic report import: everything validated before anything is stored, on both databases."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from canvass.settings import Settings
from canvass.store.db import migrate, open_engine
from canvass.store.elections import save_election
from canvass.store.intake import reports_in_force, store_reports
from canvass.store.types import utcnow
from ingest.reports import parse_reports
from tests.conftest import CANVASS, canvass_env
from tests.support.iowa import IOWA

GOOD_CSV = (
    "precinct,field,value,received_at\n"
    "POLK-ANK-01,attendees,215,2020-02-03T21:30:00-06:00\n"
    "POLK-ANK-01,first.Sanders,60,2020-02-03T21:30:00-06:00\n"
    "POLK-ANK-01,county_delegates.Sanders,2,\n"
    "POLK-ANK-01,sde.Sanders,0.8394,\n"
    "POLK-ANK-01,first.Sanders,60,\n"
    "ADAIR-01NW,final.Warren,9,\n"
)

CSV_ERRORS = [
    ("unknown precinct", "POLK-NOPE,attendees,3", "unknown precinct"),
    ("unknown candidate", "POLK-ANK-01,first.Trump,3", "unknown candidate 'Trump'"),
    ("unknown field", "POLK-ANK-01,second.Sanders,3", "unknown field"),
    ("negative count", "POLK-ANK-01,attendees,-1", "negative"),
    ("non-integer count", "POLK-ANK-01,attendees,12.5", "not a whole number"),
    ("not a number", "POLK-ANK-01,attendees,twelve", "not a number"),
    ("disagreeing duplicate", "POLK-ANK-01,first.Sanders,61", "61 here but 60 on line 3"),
    ("naive time", "POLK-ANK-01,final.Biden,3,2020-02-03 21:30", "no time zone"),
]


@pytest.mark.parametrize(("case", "row", "message"), CSV_ERRORS, ids=[c[0] for c in CSV_ERRORS])
def test_each_kind_of_csv_error_is_reported_with_its_line(
    case: str, row: str, message: str
) -> None:
    parsed = parse_reports((GOOD_CSV + row + "\n").encode(), "r.csv", IOWA)
    assert parsed.reports == []
    assert [(e.line, message in e.message) for e in parsed.errors] == [(8, True)], case


def test_all_errors_of_a_file_are_reported_at_once() -> None:
    rows = "\n".join(row for _, row, _ in CSV_ERRORS)
    parsed = parse_reports((GOOD_CSV + rows + "\n").encode(), "r.csv", IOWA)
    assert [e.line for e in parsed.errors] == list(range(8, 8 + len(CSV_ERRORS)))


def test_a_good_csv_becomes_one_report_per_precinct() -> None:
    parsed = parse_reports(GOOD_CSV.encode(), "r.csv", IOWA)
    assert parsed.errors == []
    by_precinct = {r.precinct_id: r for r in parsed.reports}
    assert by_precinct["POLK-ANK-01"].fields == {
        "attendees": 215,
        "county_delegates.Sanders": 2,
        "first.Sanders": 60,
        "sde.Sanders": 0.8394,
    }
    assert by_precinct["POLK-ANK-01"].received_at is not None
    assert by_precinct["ADAIR-01NW"].fields == {"final.Warren": 9}


def test_json_lines_of_tallies() -> None:
    lines = [
        {
            "precinct": "POLK-ANK-01",
            "attendees": 215,
            "first": {"Sanders": 60},
            "final": {"Sanders": 70},
        },
        {"precinct": "ADAIR-01NW", "attendees": 40, "county_delegates": {"Warren": 2}},
        "not an object",
        {"precinct": "ADAIR-01NW", "attendees": 40, "colour": "blue"},
    ]
    text = "\n".join(json.dumps(x) for x in lines) + "\n{broken\n"
    parsed = parse_reports(text.encode(), "r.jsonl", IOWA)
    assert [e.line for e in parsed.errors] == [3, 4, 5]
    good = "\n".join(json.dumps(x) for x in lines[:2])
    parsed = parse_reports(good.encode(), "r.jsonl", IOWA)
    assert {r.precinct_id: r.fields for r in parsed.reports}["POLK-ANK-01"] == {
        "attendees": 215,
        "final.Sanders": 70,
        "first.Sanders": 60,
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"", "empty"), (b"\xff\xfe\x00bad", "UTF-8"), (b"a,b,c\n1,2,3\n", "header")],
)
def test_unusable_files(data: bytes, message: str) -> None:
    parsed = parse_reports(data, "r.csv", IOWA)
    assert parsed.errors and message in parsed.errors[0].message


def test_versions_and_reimport(database_settings: Settings) -> None:
    engine = open_engine(database_settings)
    migrate(engine)
    save_election(engine, IOWA)
    first = parse_reports(GOOD_CSV.encode(), "r.csv", IOWA).reports
    assert store_reports(engine, IOWA.id, "app", "r.csv", "digest-1", first, utcnow()) == 2
    assert store_reports(engine, IOWA.id, "app", "r.csv", "digest-1", first, utcnow()) == 0
    # the same reports in another file change nothing either
    assert store_reports(engine, IOWA.id, "app", "r2.csv", "digest-2", first, utcnow()) == 0
    changed = GOOD_CSV.replace("POLK-ANK-01,attendees,215", "POLK-ANK-01,attendees,216")
    second = parse_reports(changed.encode(), "r3.csv", IOWA).reports
    assert store_reports(engine, IOWA.id, "app", "r3.csv", "digest-3", second, utcnow()) == 1
    assert store_reports(engine, IOWA.id, "hotline", "r.csv", "digest-1", first, utcnow()) == 2
    in_force = reports_in_force(engine, IOWA.id)
    assert in_force[("POLK-ANK-01", "app")]["attendees"] == 216
    assert in_force[("POLK-ANK-01", "hotline")]["attendees"] == 215


def test_cli_import_stores_nothing_from_a_file_with_errors(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    env = canvass_env(sqlite_settings)
    subprocess.run([CANVASS, "init"], env=env, check=True, capture_output=True)
    bad = tmp_path / "bad.csv"
    bad.write_text(GOOD_CSV + "POLK-ANK-01,attendees,-1\n")
    result = subprocess.run(
        [CANVASS, "reports", "import", str(bad), "--source", "app", "--json"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 3
    assert json.loads(result.stdout)["stored"] == 0
    good = tmp_path / "good.csv"
    good.write_text(GOOD_CSV)
    result = subprocess.run(
        [CANVASS, "reports", "import", str(good), "--source", "hotline", "--json"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert json.loads(result.stdout) == {"stored": 2, "errors": []}
    status = subprocess.run([CANVASS, "status", "--json"], env=env, capture_output=True, text=True)
    total = json.loads(status.stdout)["total"]
    assert total["reported"] == 2 and total["precincts"] == 1765
    polk = next(c for c in json.loads(status.stdout)["counties"] if c["county"] == "Polk")
    assert polk["reported"] == 1
    wrong_source = subprocess.run(
        [CANVASS, "reports", "import", str(good), "--source", "twitter"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert wrong_source.returncode == 3 and "app, hotline, published" in wrong_source.stderr
