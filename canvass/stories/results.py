"""Results backed by the paper: per precinct the sheet's numbers (with people's decisions
applied), and where the rules allocate delegates the SDE; totals per county and for the
state. Which numbers a row carries is the form's (`canvass.forms`): every count column
marked `in_results`, per row (candidate or ballot line), and its totals row where the form
has one; keys come from the form (`key_of`) and are never parsed here.

Precision follows the rules: SDE to 4 decimals per candidate per precinct, state totals to
3 decimals (the rule set's rounding). A precinct with no paper record appears only when a
reviewer documented the exception (a resolved `missing_paper` item); its numbers are then
the report in force, and the row says so.

Results say what is settled: a row's `provisional` lists the fields not settled yet (those
of the precinct's open or waiting review items, and those whose number is not determined
at all, `undetermined`, which the row holds as 0 and no page may show as a plain 0).

A certified county's results are the rows signed, served from the sign-off's record
(`served_results`), never recomputed from the live rows while it stays certified.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from canvass.forms.caucus import values_from_tally
from canvass.forms.registry import form_of, rules_of
from canvass.forms.spec import Column, FormSpec, key_of
from canvass.model import Election, Tally
from canvass.store.certify import documented_exceptions
from canvass.store.decide import decided_values
from canvass.store.intake import reports_by_precinct
from canvass.store.readings import paper_of, readings_in_force
from canvass.store.review import queue
from canvass.store.signed import signed_records
from reconcile.compare import reconcile_precinct
from reconcile.sheet_math import check_sheet

SOURCE_PRIORITY = ("published", "app", "hotline")
TOTAL = "TOTAL"


@dataclass(frozen=True)
class ResultRow:
    """One precinct's results. `values`: the sheet's counts by field key (the form's keys;
    a key left out counts 0); `sde`: per candidate where the rules allocate delegates,
    None where they allocate nothing."""

    precinct: str
    county: str
    name: str
    backed_by: str  # "paper" or "report (documented exception)"
    values: dict[str, int]
    sde: dict[str, Decimal] | None = None
    provisional: tuple[str, ...] = field(default=())  # field keys not settled yet
    undetermined: tuple[str, ...] = field(default=())  # of those, numbers not known at all

    def count(self, column: str, row: str | None = None) -> int:
        """The count of `column` in `row` (None: the totals row); 0 when not on the row."""
        return self.values.get(key_of(column, row), 0)

    def as_json(self, election: Election) -> dict[str, Any]:
        """The row as the CLI's and the API's JSON: per results column of the form, each
        row's count (counts of 0 left out), the totals row's counts where the form has
        one, the SDE where the rules allocate delegates, and which fields are not settled
        yet (`provisional`, empty when all are; `undetermined`, of those the numbers not
        known at all)."""
        spec = form_of(election)
        shown: dict[str, Any] = {
            "precinct": self.precinct,
            "county": self.county,
            "backed_by": self.backed_by,
        }
        for column in results_columns(spec):
            counts = {r: self.count(column.name, r) for r in election.candidates}
            shown[column.name] = {r: v for r, v in counts.items() if v}
        if spec.totals_row is not None:
            shown["totals"] = {c.name: self.count(c.name) for c in results_columns(spec)}
        if self.sde is not None:
            shown["sde"] = {c: float(v) for c, v in self.sde.items()}
        return shown | {
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
            "values": dict(self.values),
            "sde": None if self.sde is None else {c: str(v) for c, v in self.sde.items()},
            "provisional": list(self.provisional),
            "undetermined": list(self.undetermined),
        }

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> ResultRow:
        """The row `as_record` kept (SDE to its 4 places, as signed). A record signed
        before rows carried the form's keys holds a caucus `tally` instead: its numbers
        are read through the caucus form."""
        values = data["values"] if "values" in data else _legacy_values(data["tally"])
        sde = data.get("sde")
        return cls(
            precinct=data["precinct"],
            county=data["county"],
            name=data["name"],
            backed_by=data["backed_by"],
            values={k: int(v) for k, v in values.items()},
            sde=None if sde is None else {c: Decimal(v) for c, v in sde.items()},
            provisional=tuple(data.get("provisional", ())),
            undetermined=tuple(data.get("undetermined", ())),
        )

    @property
    def is_provisional(self) -> bool:
        return bool(self.provisional)


def _legacy_values(data: dict[str, Any]) -> dict[str, int]:
    tally = Tally.model_validate(data)
    named = [*tally.first, *tally.final, *(tally.county_delegates or {})]
    return values_from_tally(
        tally, list(dict.fromkeys(named)), tally.delegates_to_elect is not None
    )


def results_columns(spec: FormSpec) -> tuple[Column, ...]:
    """The form's columns that results show: counts (no ticks) marked `in_results`."""
    return tuple(c for c in spec.count_columns() if c.in_results)


def result_lines(election: Election) -> list[tuple[str, str | None]]:
    """The lines results are shown by: (label, row) per candidate or ballot line, then
    (the totals row's label, None) where the form has a totals row."""
    spec = form_of(election)
    lines: list[tuple[str, str | None]] = [(r, r) for r in election.candidates]
    return lines + ([(spec.totals_row, None)] if spec.totals_row is not None else [])


def allocates_delegates(election: Election) -> bool:
    """Whether the election's rules allocate delegates (then results carry SDE)."""
    return rules_of(election).allocates == "delegates"


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
    allocates = allocates_delegates(election)
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
            if result.paper is not None and result.math is not None:
                unsettled = set(result.unsettled)
                rows.append(
                    ResultRow(
                        p.id,
                        p.county,
                        p.name,
                        "paper",
                        dict(result.paper.values),
                        dict(result.math.sde or {}) if allocates else None,
                        _in_order(election, pending.get(p.id, set()) | unsettled),
                        _in_order(election, unsettled),
                    )
                )
        elif p.id in exceptions and reports.get(p.id):
            values = values_from_report(_preferred(reports[p.id]), election)
            math = check_sheet(election, p.id, values)
            rows.append(
                ResultRow(
                    p.id,
                    p.county,
                    p.name,
                    "report (documented exception)",
                    values,
                    dict(math.sde or {}) if allocates else None,
                    _in_order(election, pending.get(p.id, set())),
                )
            )
    return rows


def _pending_fields(engine: Engine, election: Election) -> dict[str, set[str]]:
    """Per precinct, the fields its open or waiting review items are about; an item about
    no one field (a missing report, a precinct conflict, late evidence) holds them all."""
    every = set(_reported_keys(election))
    pending: dict[str, set[str]] = {}
    for item in queue(engine, election.id):
        pending.setdefault(item.precinct_id, set()).update(item.fields or every)
    return pending


def _reported_keys(election: Election) -> list[str]:
    return form_of(election).reported_keys(election.candidates)


def _in_order(election: Election, keys: Collection[str]) -> tuple[str, ...]:
    return tuple(k for k in _reported_keys(election) if k in keys)


def provisional_precincts(rows: Sequence[ResultRow]) -> int:
    """How many of `rows` have a field not settled yet."""
    return sum(1 for r in rows if r.provisional)


def _preferred(by_source: dict[str, dict[str, float]]) -> dict[str, float]:
    for source in SOURCE_PRIORITY:
        if source in by_source:
            return by_source[source]
    return next(iter(by_source.values()))


def values_from_report(fields: Mapping[str, float], election: Election) -> dict[str, int]:
    """A report's numbers as the sheet's: the fields that are counts of the election's
    form (a report's other numbers, such as its SDE, are left out), in the form's order."""
    keys = form_of(election).number_keys(election.candidates)
    return {k: int(fields[k]) for k in keys if k in fields}


def results_csv(rows: Sequence[ResultRow], election: Election) -> str:
    """Per precinct, per candidate (or ballot line, then the totals row where the form has
    one): each results column's count, and the SDE where the rules allocate delegates;
    then totals per county and for all rows (SDE totals to 3 decimals). The last column,
    `provisional`, says whether the row (or a row a total adds up) has a field not settled
    yet."""
    spec = form_of(election)
    columns = [c.name for c in results_columns(spec)]
    allocates = allocates_delegates(election)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    sde_head = ["sde"] if allocates else []
    writer.writerow(
        ["county", "precinct", "name", "backed_by", "candidate", *columns, *sde_head, "provisional"]
    )
    for r in rows:
        for label, line in result_lines(election):
            sde = [f"{(r.sde or {}).get(label, Decimal(0)):.4f}"] if allocates else []
            counts = [r.count(c, line) for c in columns]
            unsettled = _yes_no(r.provisional)
            writer.writerow(
                [r.county, r.precinct, r.name, r.backed_by, label, *counts, *sde, unsettled]
            )
    for group, members in _groups(rows):
        unsettled = _yes_no(any(r.provisional for r in members))
        for label, summed in totals(members, election).items():
            sde = [f"{summed.sde:.3f}"] if summed.sde is not None else []
            counts = [summed.counts[c] for c in columns]
            writer.writerow([group, TOTAL, "", "", label, *counts, *sde, unsettled])
    return out.getvalue()


def _yes_no(flag: object) -> str:
    return "yes" if flag else "no"


def _groups(rows: Sequence[ResultRow]) -> list[tuple[str, list[ResultRow]]]:
    counties = dict.fromkeys(r.county for r in rows)
    groups = [(county, [r for r in rows if r.county == county]) for county in counties]
    return [*groups, ("ALL", list(rows))]


@dataclass(frozen=True)
class TotalLine:
    """One line's totals over some rows: per results column (by name) the sum, and the
    SDE summed and rounded as the state publishes it (None: the rules allocate nothing,
    or the line is the totals row)."""

    counts: dict[str, int]
    sde: Decimal | None = None

    def as_json(self) -> dict[str, Any]:
        sde = {} if self.sde is None else {"sde": float(self.sde)}
        return dict(self.counts) | sde

    def any(self) -> bool:
        return any(self.counts.values()) or bool(self.sde)


def totals(rows: Sequence[ResultRow], election: Election) -> dict[str, TotalLine]:
    """Per candidate or ballot line (then the totals row, where the form has one): each
    results column summed over `rows`, and the SDE where the rules allocate delegates."""
    spec = form_of(election)
    rules = rules_of(election)
    allocates = allocates_delegates(election)
    found: dict[str, TotalLine] = {}
    for label, line in result_lines(election):
        counts = {c.name: sum(r.count(c.name, line) for r in rows) for c in results_columns(spec)}
        sde = None
        if allocates and line is not None:
            summed = sum(((r.sde or {}).get(line, Decimal(0)) for r in rows), Decimal(0))
            sde = rules.round_state_sde(summed)
        found[label] = TotalLine(counts, sde)
    return found
