"""Results backed by the paper: per precinct the worksheet's numbers (with people's
decisions applied), its county delegates and SDE; totals per county and for the state.

Precision follows the rules: SDE to 4 decimals per candidate per precinct, state totals to
3 decimals (the rule set's rounding). A precinct with no paper record appears only when a
reviewer documented the exception (a resolved `missing_paper` item); its numbers are then
the report in force, and the row says so.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from canvass.model import Election, Tally
from canvass.store.decide import decided_values
from canvass.store.intake import reports_by_precinct
from canvass.store.readings import readings_in_force
from reconcile.caucus_math import compute_for_election
from reconcile.compare import Paper, reconcile_precinct
from reconcile.rules import rule_set

SOURCE_PRIORITY = ("published", "app", "hotline")


@dataclass(frozen=True)
class ResultRow:
    precinct: str
    county: str
    name: str
    backed_by: str  # "paper" or "report (documented exception)"
    tally: Tally
    sde: dict[str, Decimal]

    def as_json(self) -> dict[str, Any]:
        """The row as the CLI's and the API's JSON: the three sets of numbers and the SDE."""
        return {
            "precinct": self.precinct,
            "county": self.county,
            "backed_by": self.backed_by,
            "first": self.tally.first,
            "final": self.tally.final,
            "county_delegates": self.tally.county_delegates,
            "sde": {c: float(v) for c, v in self.sde.items()},
        }


def compute_results(
    engine: Engine, election: Election, county: str | None = None, exceptions: Sequence[str] = ()
) -> list[ResultRow]:
    """Rows for every precinct (of `county`) with paper, or with a documented exception."""
    papers = readings_in_force(engine, election.id)
    decided = decided_values(engine, election.id)
    reports = reports_by_precinct(engine, election.id)
    rows: list[ResultRow] = []
    for p in election.precincts:
        if county is not None and p.county != county:
            continue
        stored = papers.get(p.id)
        if stored is not None:
            paper = Paper(stored.photo_id, stored.reading, stored.declared_precinct)
            result = reconcile_precinct(
                election, p.id, paper, reports.get(p.id, {}), decided.get(p.id)
            )
            if result.paper_tally is not None and result.math is not None:
                rows.append(
                    ResultRow(
                        p.id,
                        p.county,
                        p.name,
                        "paper",
                        result.paper_tally,
                        dict(result.math.sde or {}),
                    )
                )
        elif p.id in exceptions and reports.get(p.id):
            tally = _tally_from_report(p.id, _preferred(reports[p.id]), election)
            math = compute_for_election(tally, election)
            rows.append(
                ResultRow(
                    p.id,
                    p.county,
                    p.name,
                    "report (documented exception)",
                    tally,
                    dict(math.sde or {}),
                )
            )
    return rows


def _preferred(by_source: dict[str, dict[str, float]]) -> dict[str, float]:
    for source in SOURCE_PRIORITY:
        if source in by_source:
            return by_source[source]
    return next(iter(by_source.values()))


def _tally_from_report(precinct: str, fields: dict[str, float], election: Election) -> Tally:
    maps: dict[str, dict[str, int]] = {"first": {}, "final": {}, "county_delegates": {}}
    for key, value in fields.items():
        measure, _, candidate = key.partition(".")
        if measure in maps and candidate:
            maps[measure][candidate] = int(value)
    return Tally(precinct=precinct, attendees=int(fields.get("attendees", 0)), **maps)


def results_csv(rows: Sequence[ResultRow], election: Election) -> str:
    """First, final, county delegates and SDE per candidate per precinct, then totals per
    county and for all rows (SDE totals to 3 decimals)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "county",
            "precinct",
            "name",
            "backed_by",
            "candidate",
            "first",
            "final",
            "county_delegates",
            "sde",
        ]
    )
    for r in rows:
        for c in election.candidates:
            writer.writerow(
                [
                    r.county,
                    r.precinct,
                    r.name,
                    r.backed_by,
                    c,
                    r.tally.first.get(c, 0),
                    r.tally.final.get(c, 0),
                    (r.tally.county_delegates or {}).get(c, 0),
                    f"{r.sde.get(c, Decimal(0)):.4f}",
                ]
            )
    for label, members in _groups(rows):
        for c, (first, final, cds, sde) in totals(members, election).items():
            writer.writerow([label, "TOTAL", "", "", c, first, final, cds, f"{sde:.3f}"])
    return out.getvalue()


def _groups(rows: Sequence[ResultRow]) -> list[tuple[str, list[ResultRow]]]:
    counties = dict.fromkeys(r.county for r in rows)
    groups = [(county, [r for r in rows if r.county == county]) for county in counties]
    return [*groups, ("ALL", list(rows))]


def totals(
    rows: Sequence[ResultRow], election: Election
) -> dict[str, tuple[int, int, int, Decimal]]:
    rules = rule_set(election.rule_set)
    sde_totals: dict[str, Decimal] = {}
    for r in rows:
        for c, v in r.sde.items():
            sde_totals[c] = sde_totals.get(c, Decimal(0)) + v
    return {
        c: (
            sum(r.tally.first.get(c, 0) for r in rows),
            sum(r.tally.final.get(c, 0) for r in rows),
            sum((r.tally.county_delegates or {}).get(c, 0) for r in rows),
            rules.round_state_sde(sde_totals.get(c, Decimal(0))),
        )
        for c in election.candidates
    }
