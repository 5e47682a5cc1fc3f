"""The certified 2020 results (canvass/data/iowa2020/thecaucuses_...csv) as Tallies.

The published file has first alignment, final alignment and SDE per candidate per unit;
county delegates are recovered exactly as SDE / (precinct SDE / precinct delegates)
(PROVENANCE.md checks this for all 23,492 non-zero values). Satellites elect delegates by
attendance, so their SDE per delegate is the unit's SDE over those delegates.

Attendees are not published: the first-alignment total stands in for them.
"""

from __future__ import annotations

import csv
import html
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from canvass.elections.iowa2020 import RESULTS_FILE
from canvass.model import Election, Precinct, Tally

SATELLITE_DELEGATES = ((20, 4), (40, 5), (60, 6), (80, 7), (100, 8))


@dataclass(frozen=True)
class CertifiedUnit:
    """One unit's certified numbers: the tally as the worksheet had it, and its SDE."""

    tally: Tally
    sde: dict[str, float]


def satellite_delegates(attendees: int) -> int:
    """Delegates a satellite caucus elects: 1-20: 4, 21-40: 5, ... over 100: 9."""
    for ceiling, delegates in SATELLITE_DELEGATES:
        if attendees <= ceiling:
            return delegates
    return 9


def load_certified(data_dir: Path, election: Election) -> list[CertifiedUnit]:
    """All 1,765 units in the election's order."""
    by_name = {(p.county, p.name): p for p in election.precincts}
    numbers: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    with (data_dir / RESULTS_FILE).open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            unit = by_name.get((row["county"], html.unescape(row["precinct"])))
            if unit is None:
                continue  # county total rows
            numbers[unit.id][row["measure"]][row["candidate"]] = float(row["value"])
    return [
        _unit(p, numbers[p.id], election.candidates) for p in election.precincts if p.id in numbers
    ]


def _unit(
    precinct: Precinct, measures: dict[str, dict[str, float]], candidates: tuple[str, ...]
) -> CertifiedUnit:
    first = {c: int(measures["expression_1"].get(c, 0)) for c in candidates}
    final = {c: int(measures["expression_2"].get(c, 0)) for c in candidates}
    sde = {c: measures["sde"].get(c, 0.0) for c in candidates}
    attendees = sum(first.values())
    if precinct.satellite:
        delegates = satellite_delegates(attendees) if attendees else 0
        per_delegate = sum(sde.values()) / delegates if delegates else 0.0
    else:
        delegates = precinct.delegates_to_elect or 0
        per_delegate = (precinct.sde_weight or 0.0) / delegates if delegates else 0.0
    county_delegates = {c: round(v / per_delegate) if per_delegate else 0 for c, v in sde.items()}
    tally = Tally(
        precinct=precinct.id,
        delegates_to_elect=delegates,
        attendees=attendees,
        first=first,
        final=final,
        county_delegates=county_delegates,
    )
    return CertifiedUnit(tally=tally, sde=sde)
