"""The validator over the certified 2020 results of all 1,765 units.

The counts are what the certified worksheets hold (measured when the validator was
written); a change in them is a change in the rules' reading and must be explained.
Attendees are not published: the first-alignment total stands in for them, so
FIRST_TOTAL_MISMATCH cannot occur here and FINAL_EXCEEDS_ATTENDEES means "final total
above first total". The data records no coin-toss winners, so every tie the rules meet
is COIN_TOSS_REQUIRED.

canvass/data/iowa2020/precinct_county_delegates.csv pairs 9 pairs of precincts' long names
with each other's short codes (Johnson's UNIVERSITY HEIGHTS with UN instead of UH, ...);
canvass.elections.iowa2020.SWAPPED_NAMES puts them back. Before that correction the same
data gave 0/80/71/0/35/22/33/60/58/143 (18 precincts carried their neighbour's delegates).
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache

from canvass.elections.iowa2020 import build_iowa2020
from canvass.elections.iowa2020_results import CertifiedUnit, load_certified
from canvass.model import Election
from canvass.settings import Settings
from reconcile.caucus_math import MathResult, compute_for_election
from reconcile.findings import FindingCode, count_by_code
from tests.support.iowa import EXPECTED_COUNTS


@cache
def state() -> tuple[Election, list[CertifiedUnit], list[MathResult]]:
    data = Settings().fixtures_dir / "iowa2020"
    election = build_iowa2020(data)
    units = load_certified(data, election)
    return election, units, [compute_for_election(u.tally, election) for u in units]


def test_finding_counts_over_the_whole_state() -> None:
    _, _, results = state()
    assert len(results) == 1765
    assert count_by_code([r.findings for r in results]) == EXPECTED_COUNTS


def test_precinct_sde_reproduces_the_published_sde() -> None:
    """SDE from the sheet's county delegates matches the published 4 decimals exactly
    for all 1,678 precincts (satellites' SDE follows their real attendance, which is not
    published, so it is only estimated)."""
    election, units, results = state()
    compared = 0
    for unit, result in zip(units, results, strict=True):
        if election.precinct_by_id[unit.tally.precinct].satellite:
            continue
        assert result.sde is not None
        published = {c: Decimal(repr(v)).quantize(Decimal("0.0001")) for c, v in unit.sde.items()}
        assert dict(result.sde) == published, unit.tally.precinct
        compared += 1
    assert compared == 1678


def test_known_precincts() -> None:
    _, _, results = state()
    by_id = {r.precinct: r for r in results}
    # Adair 1NW: Buttigieg and Klobuchar both 8 of 40 -> 1.6; one too many; .6 tie.
    adair = by_id["ADAIR-01NW"]
    assert adair.coin_toss is not None and adair.coin_toss.between == ("Buttigieg", "Klobuchar")
    assert "imply Klobuchar won" in adair.findings[0].message
    # Black Hawk G000 (Elk Run Heights & Raymond) elects 1 delegate: with the long names
    # put back on their codes, its sheet awards exactly that.
    codes = {f.code for f in by_id["BLACKHAWK-G000"].findings}
    assert FindingCode.DELEGATE_TOTAL_MISMATCH not in codes
    assert by_id["BLACKHAWK-G000"].delegates_to_elect == 1
    # Every satellite elects by attendance.
    assert by_id["SAT-CD2-09"].delegates_to_elect == 9
