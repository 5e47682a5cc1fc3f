"""The Iowa 2020 general election (President): its data, its sheets' numbers, its file."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from canvass.elections.fileformat import load_election_file, parse_election
from canvass.elections.iowa2020_general import (
    GENERAL_ID,
    RESULTS_FILE,
    build_general,
    general_data_dir,
    load_general_numbers,
)
from canvass.errors import InputError
from canvass.forms.registry import form_of
from canvass.forms.spec import key_of
from canvass.settings import BUILTIN_DATA, REPO_ROOT, Settings
from tests.conftest import CANVASS, canvass_env
from tests.support.wheel import build_wheel

DATA = general_data_dir(BUILTIN_DATA)
GENERAL = build_general(DATA)
ELECTION_FILE = REPO_ROOT / "fixtures" / "elections" / "iowa2020-general.json"
CSV_SHA256 = "fcede2ca74ea80d86f41319dbd5403839e1af5f0a5eef1db90a8d5de81d2acf6"


def test_the_copied_csv_is_the_one_its_provenance_names() -> None:
    assert hashlib.sha256((DATA / RESULTS_FILE).read_bytes()).hexdigest() == CSV_SHA256
    provenance = (DATA / "PROVENANCE.md").read_text(encoding="utf-8")
    assert CSV_SHA256 in provenance
    assert "OpenElections; Iowa Secretary of State" in provenance


def test_the_election_has_every_precinct_and_ballot_line() -> None:
    assert GENERAL.id == GENERAL_ID
    assert (GENERAL.form, GENERAL.rule_set) == ("precinct-results", "vote-count")
    assert len(GENERAL.counties) == 99 and len(GENERAL.precincts) == 1661
    assert len(GENERAL.candidates) == 10
    assert GENERAL.candidates[:2] == (
        "Donald J. Trump and Michael R. Pence",
        "Joseph R. Biden and Kamala D. Harris",
    )
    assert GENERAL.candidates[-1] == "Write-in"
    assert all(re.fullmatch(r"[A-Z0-9][A-Z0-9-]*", p.id) for p in GENERAL.precincts)
    assert all(p.delegates_to_elect is None and not p.satellite for p in GENERAL.precincts)
    assert GENERAL.precinct_by_id["CERROGORDO-CLEAR-LAKE-WARD-1"].county == "Cerro Gordo"


def test_every_sheet_holds_the_csv_and_its_identities() -> None:
    sheets = load_general_numbers(DATA, GENERAL)
    assert len(sheets) == 1661
    assert [s.precinct for s in sheets] == [p.id for p in GENERAL.precincts]
    spec = form_of(GENERAL)
    rows = GENERAL.candidates
    layout_order = [key_of(c, r) for r in rows for c in ("election_day", "absentee", "total")]
    layout_order += ["election_day", "absentee", "total"]
    identities = spec.identities(rows)
    for sheet in sheets:
        assert list(sheet.values) == layout_order
        assert set(sheet.values) == set(spec.number_keys(rows))
        broken = [i.name for i in identities if i.holds(sheet.values) is not True]
        assert broken == [], (sheet.precinct, broken)
    by_id = {s.precinct: s.values for s in sheets}
    votes = {"election_day": 0, "absentee": 0, "total": 0}
    for values in by_id.values():
        for column in votes:
            votes[column] += values[column]
    with (DATA / RESULTS_FILE).open(newline="", encoding="utf-8") as f:
        rows_read = list(csv.DictReader(f))
    assert votes["total"] == sum(int(r["votes"]) for r in rows_read) == 1_690_871
    assert votes["absentee"] == sum(int(r["absentee"]) for r in rows_read)
    ward1 = by_id["CERROGORDO-CLEAR-LAKE-WARD-1"]
    assert ward1[key_of("total", "Donald J. Trump and Michael R. Pence")] == 935


def test_a_row_whose_votes_are_not_its_parts_is_refused(tmp_path: Path) -> None:
    text = (DATA / RESULTS_FILE).read_text(encoding="utf-8").splitlines()
    county, precinct, candidate, party, day, absentee, votes = text[1].split(",")
    text[1] = ",".join([county, precinct, candidate, party, day, absentee, str(int(votes) + 1)])
    (tmp_path / RESULTS_FILE).write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"president_precinct.csv:2: votes .* refused"):
        load_general_numbers(tmp_path, GENERAL)


def test_the_election_file_is_the_data_rebuilt(tmp_path: Path) -> None:
    assert load_election_file(ELECTION_FILE) == GENERAL
    out = tmp_path / "general.json"
    done = subprocess.run(
        [sys.executable, "-m", "canvass.elections.iowa2020_general", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == ELECTION_FILE.read_bytes()
    provenance = (ELECTION_FILE.parent / "PROVENANCE.md").read_text(encoding="utf-8")
    assert "OpenElections; Iowa Secretary of State" in provenance


def test_init_then_export_gives_the_same_file(sqlite_settings: Settings, tmp_path: Path) -> None:
    env = canvass_env(sqlite_settings)
    init = subprocess.run(
        [CANVASS, "init", "--election", str(ELECTION_FILE), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert init.returncode == 0, init.stderr
    assert json.loads(init.stdout) == {"election": GENERAL_ID, "precincts": 1661}
    out = tmp_path / "exported.json"
    export = subprocess.run(
        [CANVASS, "election", "export", "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert export.returncode == 0, export.stderr
    assert out.read_bytes() == ELECTION_FILE.read_bytes()


def _general_data(**changes: object) -> dict[str, object]:
    data = json.loads(ELECTION_FILE.read_text(encoding="utf-8"))
    data.update(changes)
    return data


def test_an_unknown_form_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(InputError, match=r"unknown form 'ballot'; use one of: .*precinct-results"):
        parse_election(_general_data(form="ballot"), "general.json")


def test_a_rule_set_that_does_not_fit_the_form_is_refused_naming_the_one_that_does() -> None:
    with pytest.raises(
        InputError, match=r"not on form 'precinct-results'; use rule set vote-count"
    ):
        parse_election(_general_data(rule_set="iowa-dem-2020"), "general.json")
    data = _general_data(rule_set="vote-count", form="caucus-math-worksheet")
    with pytest.raises(InputError, match=r"use rule set iowa-dem-2020"):
        parse_election(data, "general.json")


@pytest.mark.slow
def test_the_wheel_ships_the_general_election_data(tmp_path: Path) -> None:
    names = zipfile.ZipFile(build_wheel(tmp_path)).namelist()
    for name in (RESULTS_FILE, "PROVENANCE.md"):
        assert f"canvass/data/iowa2020-general/{name}" in names
