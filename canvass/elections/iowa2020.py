"""Build the Iowa Democratic caucuses of 2020 from the certified data in `canvass/data/iowa2020/`.

Sources (see canvass/data/iowa2020/PROVENANCE.md): the IDP's delegate apportionment (delegates
each precinct elects and its SDE weight) and the certified results (for the list of
satellite caucuses and the SDE each satellite group carried per attendee).

Precinct ids are the party's short codes prefixed by the county, upper case, with runs of
anything but letters and digits turned into one hyphen: Polk's "ANK 01" is `POLK-ANK-01`.
Satellites are `SAT-CD1-01` ... numbered in name order within their group.
"""

from __future__ import annotations

import csv
import html
import re
import statistics
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from canvass.model import County, Election, Precinct

ELECTION_ID = "iowa-dem-2020"
RULE_SET = "iowa-dem-2020"
CANDIDATES = (
    "Bennet",
    "Biden",
    "Bloomberg",
    "Buttigieg",
    "Delaney",
    "Gabbard",
    "Klobuchar",
    "Patrick",
    "Sanders",
    "Steyer",
    "Warren",
    "Yang",
    "Other",
    "Uncommitted",
)
APPORTIONMENT_FILE = "precinct_county_delegates.csv"
RESULTS_FILE = "thecaucuses_2020-04-07_final_long.csv"
SATELLITE_GROUP_CODES = {
    "CD1 Satellite": "CD1",
    "CD2 Satellite": "CD2",
    "CD3 Satellite": "CD3",
    "CD4 Satellite": "CD4",
    "Out of State Satellite": "OOS",
}


# Nine pairs of rows in precinct_county_delegates.csv pair a precinct's long name (the key
# of the results file) with its neighbour's short code; the short code, delegates and SDE
# agree with the IDP's own short-code file, so the long names are swapped back here
# (Johnson's UH is University Heights, UN Union Township). With the swap, 18 precincts stop
# showing delegate totals that do not match their allotment (tests/test_certified_2020.py).
SWAPPED_NAMES = (
    ("Black Hawk", "DK00", "DM00"),
    ("Black Hawk", "EO00", "G000"),
    ("Guthrie", "7", "8"),
    ("Johnson", "UH", "UN"),
    ("Johnson", "WL", "WS"),
    ("Story", "25", "26"),
    ("Story", "37", "39"),
    ("Woodbury", "22", "23"),
    ("Wright", "BIG_6", "RURALEG"),
)


def slug(text: str) -> str:
    """Upper-case `text`, turning each run of other characters into one hyphen."""
    return re.sub(r"[^A-Z0-9]+", "-", text.upper()).strip("-")


def county_slug(county: str) -> str:
    """`Black Hawk` -> `BLACKHAWK`: no hyphen, so the county is the id's first segment."""
    return re.sub(r"[^A-Z0-9]+", "", county.upper())


def precinct_id(county: str, short_code: str) -> str:
    return f"{county_slug(county)}-{slug(short_code)}"


def build_iowa2020(data_dir: Path) -> Election:
    """The election, with its 1,678 precincts in 99 counties and 87 satellite caucuses."""
    precincts, counties = _precincts_and_counties(data_dir / APPORTIONMENT_FILE)
    satellites, groups = _satellites(data_dir / RESULTS_FILE)
    return Election(
        id=ELECTION_ID,
        name="Iowa Democratic caucuses 2020",
        rule_set=RULE_SET,
        candidates=CANDIDATES,
        counties=tuple(counties + groups),
        precincts=tuple(precincts + satellites),
    )


def _precincts_and_counties(path: Path) -> tuple[list[Precinct], list[County]]:
    precincts: list[Precinct] = []
    ratios: dict[str, float] = {}
    for row in _corrected(list(_read_csv(path))):
        delegates = int(row["County Delegates"])
        if delegates == 0 and not row["Precinct"]:
            # Three Lee county codes elect no delegates and held no caucus: not a unit.
            continue
        sde = float(row["Precinct SDE (IDP)"])
        county = row["County"]
        if delegates:
            ratios.setdefault(county, sde / delegates)
        precincts.append(
            Precinct(
                id=precinct_id(county, row["Precinct Short Name"]),
                county=county,
                name=html.unescape(row["Precinct"]),
                short_code=row["Precinct Short Name"],
                delegates_to_elect=delegates,
                sde_weight=sde,
            )
        )
    counties = [County(name=n, state_delegate_ratio=r) for n, r in sorted(ratios.items())]
    return precincts, counties


def _corrected(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The rows with the long names of SWAPPED_NAMES put back on their own short codes."""
    index = {(r["County"], r["Precinct Short Name"]): r for r in rows}
    for county, a, b in SWAPPED_NAMES:
        row_a, row_b = index[(county, a)], index[(county, b)]
        row_a["Precinct"], row_b["Precinct"] = row_b["Precinct"], row_a["Precinct"]
    return rows


def _satellites(results: Path) -> tuple[list[Precinct], list[County]]:
    """Satellites from the certified results; each group's SDE per attendee is the median
    of (SDE / first-alignment attendees) over its satellites, the rate the IDP applied."""
    sde: dict[tuple[str, str], float] = defaultdict(float)
    attendees: dict[tuple[str, str], int] = defaultdict(int)
    for row in _read_csv(results):
        group, name = row["county"], row["precinct"]
        if group not in SATELLITE_GROUP_CODES or name in ("Total", "Total_recalc"):
            continue
        if row["measure"] == "sde":
            sde[(group, name)] += float(row["value"])
        elif row["measure"] == "expression_1":
            attendees[(group, name)] += int(row["value"])
    satellites: list[Precinct] = []
    groups: list[County] = []
    for group, code in SATELLITE_GROUP_CODES.items():
        names = sorted(name for g, name in sde if g == group)
        rates = [sde[(group, n)] / attendees[(group, n)] for n in names if attendees[(group, n)]]
        groups.append(
            County(
                name=group,
                kind="satellite_group",
                sde_per_attendee=round(statistics.median(rates), 6),
            )
        )
        for number, name in enumerate(names, start=1):
            satellites.append(
                Precinct(
                    id=f"SAT-{code}-{number:02d}",
                    county=group,
                    name=html.unescape(name),
                    satellite=True,
                )
            )
    return satellites, groups


def _read_csv(path: Path) -> Iterator[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        yield from csv.DictReader(f)
