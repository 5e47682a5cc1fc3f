"""Iowa's 2020 general election, the race for President, from `canvass/data/iowa2020-general/`.

Source (see canvass/data/iowa2020-general/PROVENANCE.md): the Iowa Secretary of State's
precinct results as converted by OpenElections, President only: for each of 1,661 precincts
in 99 counties and each of the ten ballot lines, the votes cast on election day, the
absentee votes and their total.

- Ballot lines (`candidates`) are the CSV's candidate names in the order they first appear
  in the file, which is the order of the Secretary of State's results (the Republican and
  Democratic tickets, then the others, Write-in last). One ticket's party is spelled GKH in
  most rows and GFH in 12: the party column is not used, the line is the candidate name.
- Counties are in name order; precincts by county name, then in the file's order within
  the county.
- Precinct ids are built like the caucus's (`canvass.elections.iowa2020.precinct_id`): the
  county without spaces, then the precinct's name upper case with each run of anything but
  letters and digits turned into one hyphen: Cerro Gordo's "Clear Lake Ward 1" is
  `CERROGORDO-CLEAR-LAKE-WARD-1`.
- No delegates: the rule set is `vote-count`, the form `precinct-results`.

`load_general_numbers` gives each precinct's sheet as `SheetNumbers`, keyed by the form
(`canvass.forms.spec.key_of`). Rebuild the election file with
`python -m canvass.elections.iowa2020_general --out fixtures/elections/iowa2020-general.json`.
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Iterator
from pathlib import Path

from canvass.elections.fileformat import election_text
from canvass.elections.iowa2020 import precinct_id
from canvass.errors import InputError, NotFoundError
from canvass.forms.spec import key_of
from canvass.model import County, Election, Precinct, SheetNumbers

GENERAL_ID = "iowa-2020-general"
GENERAL_NAME = "Iowa 2020 general election: President and Vice President"
RULE_SET = "vote-count"
FORM = "precinct-results"
DATA_FOLDER = "iowa2020-general"
"""The folder under the fixtures directory (`Settings.fixtures_dir`) holding the CSV."""
RESULTS_FILE = "president_precinct.csv"
COLUMNS = ("election_day", "absentee", "total")
"""The form's columns, in the layout's order (`canvass.forms.results_sheet`)."""


def general_data_dir(fixtures_dir: Path) -> Path:
    """The folder of the general election's data under the fixtures directory."""
    return fixtures_dir / DATA_FOLDER


def build_general(data_dir: Path) -> Election:
    """The election: 1,661 precincts in 99 counties, ten ballot lines, no delegates.
    `data_dir` is the folder holding president_precinct.csv."""
    lines: list[str] = []
    by_county: dict[str, list[str]] = {}
    for row in _rows(data_dir):
        if row["candidate"] not in lines:
            lines.append(row["candidate"])
        names = by_county.setdefault(row["county"], [])
        if row["precinct"] not in names:
            names.append(row["precinct"])
    counties = sorted(by_county)
    return Election(
        id=GENERAL_ID,
        name=GENERAL_NAME,
        rule_set=RULE_SET,
        form=FORM,
        candidates=tuple(lines),
        counties=tuple(County(name=c) for c in counties),
        precincts=tuple(
            Precinct(id=precinct_id(c, name), county=c, name=name)
            for c in counties
            for name in by_county[c]
        ),
    )


def load_general_numbers(data_dir: Path, election: Election) -> list[SheetNumbers]:
    """Every precinct's results sheet, in the election's order: per ballot line its
    election-day, absentee and total votes, then the totals row (the columns' sums).
    InputError when a row's votes are not election day + absentee, when a precinct lacks a
    ballot line or names one the election does not list."""
    by_name = {(p.county, p.name): p.id for p in election.precincts}
    lines = set(election.candidates)
    counts: dict[str, dict[str, tuple[int, int, int]]] = {}
    for number, row in enumerate(_rows(data_dir), start=2):
        where = f"{data_dir / RESULTS_FILE}:{number}"
        pid = by_name.get((row["county"], row["precinct"]))
        if pid is None:
            raise InputError(
                f"{where}: precinct {row['county']}/{row['precinct']} is not in {election.name}"
            )
        if row["candidate"] not in lines:
            raise InputError(f"{where}: ballot line {row['candidate']!r} is not in {election.name}")
        try:
            day, absentee, votes = (int(row[k]) for k in ("election_day", "absentee", "votes"))
        except ValueError as exc:
            raise InputError(f"{where}: a count is not a whole number ({exc})") from None
        if min(day, absentee, votes) < 0 or votes != day + absentee:
            raise InputError(
                f"{where}: votes {votes} != election day {day} + absentee {absentee}; "
                "the file is refused"
            )
        if row["candidate"] in counts.setdefault(pid, {}):
            raise InputError(f"{where}: {row['candidate']!r} appears twice for {pid}")
        counts[pid][row["candidate"]] = (day, absentee, votes)
    sheets: list[SheetNumbers] = []
    for p in election.precincts:
        if p.id not in counts:
            continue
        lines_of = counts[p.id]
        missing = [c for c in election.candidates if c not in lines_of]
        if missing:
            raise InputError(f"{data_dir / RESULTS_FILE}: {p.id} lacks ballot lines {missing}")
        values: dict[str, int] = {}
        for c in election.candidates:
            for column, n in zip(COLUMNS, lines_of[c], strict=True):
                values[key_of(column, c)] = n
        for i, column in enumerate(COLUMNS):
            values[key_of(column)] = sum(lines_of[c][i] for c in election.candidates)
        sheets.append(SheetNumbers(precinct=p.id, values=values))
    return sheets


def _rows(data_dir: Path) -> Iterator[dict[str, str]]:
    path = data_dir / RESULTS_FILE
    if not path.is_file():
        raise NotFoundError(f"{path}: no such file; give the folder holding {RESULTS_FILE}")
    with path.open(newline="", encoding="utf-8") as f:
        yield from csv.DictReader(f)


def main(argv: list[str] | None = None) -> int:
    from canvass.settings import Settings

    parser = argparse.ArgumentParser(description="Write the Iowa 2020 general election file.")
    parser.add_argument("--data", type=Path, default=None, help="folder holding the CSV")
    parser.add_argument("--out", type=Path, required=True, help="the election file to write")
    args = parser.parse_args(argv)
    data_dir = args.data or general_data_dir(Settings().fixtures_dir)
    args.out.write_text(election_text(build_general(data_dir)), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
