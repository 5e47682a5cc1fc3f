"""Results backed by the paper: per precinct the worksheet's numbers (with people's
decisions applied), its county delegates and SDE; totals per county and for the state.

Precision follows the rules: SDE to 4 decimals per candidate per precinct, state totals to
3 decimals (the rule set's rounding). A precinct with no paper record appears only when a
reviewer documented the exception (a resolved `missing_paper` item); its numbers are then
the report in force, and the row says so.

Results say what is settled: a row's `provisional` lists the fields not settled yet (those
of the precinct's open or waiting review items, and those whose number is not determined
at all, `undetermined`, which the tally holds as 0 and no page may show as a plain 0).

A certified county's results are the rows signed, served from the sign-off's record
(`served_results`), never recomputed from the live rows while it stays certified.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from canvass.model import Election, Tally
from canvass.store.certify import documented_exceptions
from canvass.store.decide import decided_values
from canvass.store.intake import reports_by_precinct
from canvass.store.readings import paper_of, readings_in_force
from canvass.store.review import queue
from canvass.store.signed import signed_records
from reconcile.caucus_math import compute_for_election
from reconcile.compare import field_keys, reconcile_precinct
from canvass.forms.rules import rule_set

SOURCE_PRIORITY = ("published", "app", "hotline")


@dataclass(frozen=True)
class ResultRow:
    precinct: str
    county: str
    name: str
    backed_by: str  # "paper" or "report (documented exception)"
    tally: Tally
    sde: dict[str, Decimal]
    provisional: tuple[str, ...] = field(default=())  # field keys not settled yet
    undetermined: tuple[str, ...] = field(default=())  # of those, numbers not known at all

    def as_json(self) -> dict[str, Any]:
        """The row as the CLI's and the API's JSON: the three sets of numbers and the SDE,
        and which fields are not settled yet (`provisional`, empty when all are)."""
        return {
            "precinct": self.precinct,
            "county": self.county,
            "backed_by": self.backed_by,
            "first": self.tally.first,
            "final": self.tally.final,
            "county_delegates": self.tally.county_delegates,
            "sde": {c: float(v) for c, v in self.sde.items()},
            "provisional": list(self.provisional),
            "undetermined": list(self.undetermined),
        }

    def as_record(self) -> dict[str, Any]:
        """The row as kept with a sign-off: everything, SDE as exact decimal strings, so
        `from_record` gives back an equal row."""
        return {
            "precinct": self.precinct,
            "county": self.county,
            "name": self.name,
            "backed_by": self.backed_by,
            "tally": self.tally.model_dump(mode="json"),
            "sde": {c: str(v) for c, v in self.sde.items()},
            "provisional": list(self.provisional),
            "undetermined": list(self.undetermined),
        }

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> ResultRow:
        """The row `as_record` kept (SDE to its 4 places, as signed)."""
        return cls(
            precinct=data["precinct"],
            county=data["county"],
            name=data["name"],
            backed_by=data["backed_by"],
            tally=Tally.model_validate(data["tally"]),
            sde={c: Decimal(v) for c, v in data["sde"].items()},
            provisional=tuple(data.get("provisional", ())),
            undetermined=tuple(data.get("undetermined", ())),
        )

    @property
    def is_provisional(self) -> bool:
        return bool(self.provisional)


def served_results(
    engine: Engine, election: Election, county: str | None = None
) -> list[ResultRow]:
    """The results everyone is shown (`canvass results`, `/api/results`, the pages, the
    certify pages and the state sign-off): a certified county's rows as signed, from its
    sign-off's record; every other county's computed live. A county signed before
    revision 0008 has no record and is computed live."""
    signed = {
        scope: record.rows
        for scope, record in signed_records(engine, election.id, counties_only=True).items()
        if county in (None, scope)
    }
    exceptions = sorted(documented_exceptions(engine, election.id))
    live = compute_results(engine, election, county, exceptions, exclude=set(signed))
    by_precinct = {r.precinct: r for r in live}
    for rows in signed.values():
        by_precinct.update((r["precinct"], ResultRow.from_record(r)) for r in rows)
    return [by_precinct[p.id] for p in election.precincts if p.id in by_precinct]


def compute_results(
    engine: Engine,
    election: Election,
    county: str | None = None,
    exceptions: Sequence[str] = (),
    exclude: Collection[str] = (),
) -> list[ResultRow]:
    """Rows computed from the live records for every precinct (of `county`; not of the
    counties in `exclude`) with paper, or with a documented exception."""
    papers = readings_in_force(engine, election.id)
    decided = decided_values(engine, election.id)
    reports = reports_by_precinct(engine, election.id)
    pending = _pending_fields(engine, election)
    rows: list[ResultRow] = []
    for p in election.precincts:
        if (county is not None and p.county != county) or p.county in exclude:
            continue
        stored = papers.get(p.id)
        if stored is not None:
            paper = paper_of(stored)
            result = reconcile_precinct(
                election, p.id, paper, reports.get(p.id, {}), decided.get(p.id)
            )
            if result.paper_tally is not None and result.math is not None:
                unsettled = set(result.unsettled)
                rows.append(
                    ResultRow(
                        p.id,
                        p.county,
                        p.name,
                        "paper",
                        result.paper_tally,
                        dict(result.math.sde or {}),
                        _in_order(election, pending.get(p.id, set()) | unsettled),
                        _in_order(election, unsettled),
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
                    _in_order(election, pending.get(p.id, set())),
                )
            )
    return rows


def _pending_fields(engine: Engine, election: Election) -> dict[str, set[str]]:
    """Per precinct, the fields its open or waiting review items are about; an item about
    no one field (a missing report, a precinct conflict, late evidence) holds them all."""
    every = set(field_keys(election))
    pending: dict[str, set[str]] = {}
    for item in queue(engine, election.id):
        pending.setdefault(item.precinct_id, set()).update(item.fields or every)
    return pending


def _in_order(election: Election, keys: Collection[str]) -> tuple[str, ...]:
    return tuple(k for k in field_keys(election) if k in keys)


def provisional_precincts(rows: Sequence[ResultRow]) -> int:
    """How many of `rows` have a field not settled yet."""
    return sum(1 for r in rows if r.provisional)


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
    county and for all rows (SDE totals to 3 decimals). The last column, `provisional`,
    says whether the row (or a row a total adds up) has a field not settled yet."""
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
            "provisional",
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
                    _yes_no(r.provisional),
                ]
            )
    for label, members in _groups(rows):
        unsettled = _yes_no(any(r.provisional for r in members))
        for c, (first, final, cds, sde) in totals(members, election).items():
            row = [label, "TOTAL", "", "", c, first, final, cds, f"{sde:.3f}", unsettled]
            writer.writerow(row)
    return out.getvalue()


def _yes_no(flag: object) -> str:
    return "yes" if flag else "no"


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
