"""Electronic reports (app, hotline, published results) in: validated whole, then stored.

Two formats: CSV with columns `precinct,field,value` (and optionally `received_at`), one
number a row; or JSON Lines, one precinct a line: a Tally (the caucus worksheet's numbers,
optionally with an `sde` map) or, for any form, `{"precinct": ..., "fields": {key: number}}`,
either with an optional `received_at`. Field keys are the election's form's
(`canvass.forms`: `attendees`, `first.Biden`; `election_day.Write-in`, `total`): the counts
the form compares with reports. Under a rule set that allocates delegates a report may also
carry `sde.<Candidate>`, the SDE it announced (the reconciler converts it to county
delegates). Every problem in a file is collected with its line number; a file with any
problem stores nothing.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from canvass.forms.caucus import MEASURES, REPORTED_SDE
from canvass.forms.registry import form_of, rules_of
from canvass.forms.spec import key_of, parse_key
from canvass.model import Election
from canvass.store.intake import ReportVersion

SOURCES = ("app", "hotline", "published")
SDE = REPORTED_SDE
"""The column of reported SDE, a report-only key under rules that allocate delegates."""
TALLY_COUNTS = ("attendees", "viability_threshold")
TALLY_KEYS = {"precinct", "delegates_to_elect", "attendees", "viability_threshold", "first"}
TALLY_KEYS |= {"final", "county_delegates", "coin_toss_winners", SDE, "received_at", "fields"}


@dataclass(frozen=True)
class LineError:
    line: int
    message: str

    def as_json(self) -> dict[str, int | str]:
        return {"line": self.line, "message": self.message}


@dataclass
class ParsedReports:
    reports: list[ReportVersion] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)


@dataclass
class _Collector:
    """Fields per precinct as rows arrive, remembering which line set each one."""

    election: Election
    errors: list[LineError] = field(default_factory=list)
    fields: dict[str, dict[str, tuple[int | float, int]]] = field(default_factory=dict)
    received: dict[str, datetime] = field(default_factory=dict)
    known: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self.known = reported_keys(self.election)

    def add(self, line: int, precinct: str, key: str, raw: object) -> None:
        problem = check_field_key(key, self.election, self.known)
        if problem:
            self.errors.append(LineError(line, problem))
            return
        value = parse_value(key, raw)
        if isinstance(value, str):
            self.errors.append(LineError(line, value))
            return
        seen = self.fields.setdefault(precinct, {})
        if key in seen and seen[key][0] != value:
            earlier, first_line = seen[key]
            self.errors.append(
                LineError(
                    line, f"{precinct} {key} is {value} here but {earlier} on line {first_line}"
                )
            )
            return
        seen.setdefault(key, (value, line))

    def note_received(self, precinct: str, when: datetime) -> None:
        if precinct not in self.received or when > self.received[precinct]:
            self.received[precinct] = when

    def result(self) -> ParsedReports:
        if self.errors:
            return ParsedReports(errors=self.errors)
        reports = [
            ReportVersion(p, {k: v for k, (v, _) in sorted(f.items())}, self.received.get(p))
            for p, f in self.fields.items()
        ]
        return ParsedReports(reports=reports)


def report_columns(election: Election) -> tuple[str, ...]:
    """Columns a report may carry that the sheet does not: reported SDE, where the rule set
    allocates delegates."""
    return (SDE,) if rules_of(election).allocates == "delegates" else ()


def reported_keys(election: Election) -> frozenset[str]:
    """Every field key a report of this election may carry."""
    rows = election.candidates
    extra = [key_of(c, r) for c in report_columns(election) for r in rows]
    return frozenset(form_of(election).reported_keys(rows)) | frozenset(extra)


def check_field_key(
    key: str, election: Election, known: frozenset[str] | None = None
) -> str | None:
    """None when `key` is a field key reports of this election carry, else what is wrong
    with it (the keys allowed, or the candidates when only the candidate is unknown)."""
    if key in (known if known is not None else reported_keys(election)):
        return None
    spec = form_of(election)
    column, row = parse_key(key)
    columns = [c.name for c in spec.count_columns()] + list(report_columns(election))
    if row is not None and column in columns:
        names = ", ".join(election.candidates)
        what = spec.row_heading.split(" /")[0].lower()
        return f"unknown {what} {row!r} in {key!r}: use one of {names}"
    where = f"{spec.title}, rule set {rules_of(election).name}"
    if spec.is_key(key, election.candidates):
        return (
            f"field {key!r} is on the sheet but not in reports ({where}); use {key_words(election)}"
        )
    return f"unknown field {key!r} ({where}): use {key_words(election)}"


def key_words(election: Election) -> str:
    """The keys reports of this election carry, in words: `attendees, first.<Candidate>,
    ...`; a row's cells as `<column>.<Candidate>` (`<Ballot line>` on a results sheet)."""
    spec = form_of(election)
    row_word = "<" + spec.row_heading.split(" /")[0] + ">"
    rows = [*election.candidates]
    words: list[str] = []
    for key in [
        *spec.reported_keys(rows),
        *(key_of(c, r) for c in report_columns(election) for r in rows),
    ]:
        column, row = parse_key(key)
        if row is not None:
            word = key_of(column, row_word)
        elif spec.totals_row is not None and spec.row_of(key) == spec.totals_row:
            word = f"{key} ({spec.totals_row} row)"
        else:
            word = key
        if word not in words:
            words.append(word)
    return ", ".join(words)


def parse_value(key: str, raw: object) -> int | float | str:
    """The number, or (as a str) why it is not one. Counts are whole and not negative;
    SDE may have up to 4 decimals."""
    text = str(raw).strip() if not isinstance(raw, bool) else "?"
    try:
        number = Decimal(text)
    except InvalidOperation:
        return f"{key}: {text!r} is not a number"
    if not number.is_finite() or number < 0:
        return f"{key}: {text} is negative or not finite; counts are 0 or more"
    if parse_key(key)[0] == SDE:
        return float(number)
    if number != number.to_integral_value():
        return f"{key}: {text} is not a whole number; counts of people and delegates are whole"
    return int(number)


def parse_received_at(text: str) -> datetime | str:
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        return f"received_at {text!r} is not an ISO 8601 time (e.g. 2020-02-03T21:30:00-06:00)"
    if when.tzinfo is None:
        return f"received_at {text!r} has no time zone: add one (e.g. -06:00 or Z)"
    return when


def parse_reports(data: bytes, file_name: str, election: Election) -> ParsedReports:
    """CSV or JSON Lines, told apart by content (a JSON line starts with `{`)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return ParsedReports(
            errors=[LineError(0, f"{file_name} is not UTF-8 text: export it as UTF-8")]
        )
    if not text.strip():
        return ParsedReports(errors=[LineError(0, f"{file_name} is empty")])
    if text.lstrip().startswith("{"):
        return _parse_jsonl(text, election)
    return _parse_csv(text, election)


def _parse_csv(text: str, election: Election) -> ParsedReports:
    collector = _Collector(election)
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not {"precinct", "field", "value"} <= set(header):
        return ParsedReports(
            errors=[
                LineError(1, "the header must name the columns precinct,field,value[,received_at]")
            ]
        )
    reader.fieldnames = header
    for row in reader:
        line = reader.line_num
        precinct = (row.get("precinct") or "").strip()
        if precinct not in election.precinct_by_id:
            collector.errors.append(LineError(line, _unknown_precinct(precinct)))
            continue
        collector.add(line, precinct, (row.get("field") or "").strip(), row.get("value") or "")
        _note_time(collector, line, precinct, row.get("received_at"))
    return collector.result()


def _parse_jsonl(text: str, election: Election) -> ParsedReports:
    collector = _Collector(election)
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            collector.errors.append(
                LineError(line, f"not valid JSON ({exc.msg} at column {exc.colno})")
            )
            continue
        _collect_tally(collector, line, obj)
    return collector.result()


def _collect_tally(collector: _Collector, line: int, obj: Any) -> None:
    if not isinstance(obj, dict):
        collector.errors.append(
            LineError(line, "each line must be one JSON object (a Tally, or precinct and fields)")
        )
        return
    unknown = sorted(set(obj) - TALLY_KEYS)
    if unknown:
        collector.errors.append(LineError(line, f"unknown keys {', '.join(unknown)}"))
        return
    precinct = str(obj.get("precinct", ""))
    if precinct not in collector.election.precinct_by_id:
        collector.errors.append(LineError(line, _unknown_precinct(precinct)))
        return
    for key in TALLY_COUNTS:
        if key in obj and obj[key] is not None:
            collector.add(line, precinct, key, obj[key])
    for measure in (*MEASURES, SDE):
        values = obj.get(measure) or {}
        if not isinstance(values, dict):
            collector.errors.append(
                LineError(line, f"{measure} must be an object of candidate: number")
            )
            continue
        for candidate, value in values.items():
            collector.add(line, precinct, key_of(measure, str(candidate)), value)
    fields = obj.get("fields") or {}
    if not isinstance(fields, dict):
        collector.errors.append(LineError(line, "fields must be an object of field key: number"))
    else:
        for key, value in fields.items():
            collector.add(line, precinct, str(key), value)
    _note_time(collector, line, precinct, obj.get("received_at"))


def _note_time(collector: _Collector, line: int, precinct: str, raw: object) -> None:
    if raw is None or str(raw).strip() == "":
        return
    when = parse_received_at(str(raw))
    if isinstance(when, str):
        collector.errors.append(LineError(line, when))
    else:
        collector.note_received(precinct, when)


def _unknown_precinct(precinct: str) -> str:
    shown = re.sub(r"[\x00-\x1f]", "", precinct)[:64]
    return f"unknown precinct {shown!r}: see `canvass precincts` for the ids"
