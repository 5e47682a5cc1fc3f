"""The built-in Iowa 2020 election and what its fixtures (canvass/data/iowa2020, see its
PROVENANCE.md) are known to hold."""

from __future__ import annotations

import csv

from canvass.elections.iowa2020 import build_iowa2020
from canvass.elections.iowa2020_results import load_certified
from canvass.settings import BUILTIN_DATA

DATA = BUILTIN_DATA / "iowa2020"
IOWA = build_iowa2020(DATA)
CERTIFIED = {u.tally.precinct: u for u in load_certified(DATA, IOWA)}

# Precincts (units) with at least one finding of each code over the certified 2020
# results: what the certified worksheets hold (measured when the validator was written); a
# change in them is a change in the rules' reading and must be explained
# (tests/test_certified_2020.py says why two codes cannot occur in this data, and what the
# counts were before the swapped names were put back).
EXPECTED_COUNTS = {
    "FIRST_TOTAL_MISMATCH": 0,
    "FINAL_EXCEEDS_ATTENDEES": 80,
    "VIABLE_GROUP_SHRANK": 66,
    "THRESHOLD_MISMATCH": 0,
    "NONVIABLE_GROUP_AWARDED": 28,
    "VIABLE_GROUP_UNAWARDED": 20,
    "DELEGATE_TOTAL_MISMATCH": 15,
    "ALLOCATION_MISMATCH": 48,
    "MORE_VIABLE_GROUPS_THAN_DELEGATES": 57,
    "COIN_TOSS_REQUIRED": 142,
}


def apportionment() -> dict[tuple[str, str], int]:
    """(county, short code) -> delegates, read straight from the IDP's published file."""
    with (DATA / "idp_delegate_apportionment_shortnames.csv").open(newline="") as f:
        return {
            (r["County"].strip(), r["Precinct Short Name"].strip()): int(
                r["Delegates to County Convention"]
            )
            for r in csv.DictReader(f)
        }
