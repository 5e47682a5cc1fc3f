"""`canvass math`'s work: reading tally and sheet files, the caucus math or the sheets'
identities on them, and printing the results. Imported only when the command runs (it
brings the caucus math and the reader's box arithmetic); `math_cmd` is the thin command."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from canvass.cli.common import emit_json
from canvass.cli.setup_cmds import builtin_election, current_election
from canvass.elections.iowa2020_results import load_certified
from canvass.errors import InputError, NotFoundError
from canvass.forms.registry import form_of, rules_of
from canvass.forms.rules import rule_set
from canvass.forms.spec import key_of
from canvass.model import Election, SheetNumbers, Tally
from canvass.settings import Settings
from reconcile.caucus_math import MathResult, compute_for_election, state_sde_totals
from reconcile.findings import count_by_code
from reconcile.sheet_math import SheetMath, check_sheet

JSON_LINES_SUFFIXES = (".jsonl", ".ndjson")
Parsed = TypeVar("Parsed")


def run_math(settings: Settings, file: Path | None, as_json: bool, dump_certified: bool) -> None:
    """What `canvass math` does (see `canvass.cli.math_cmd`)."""
    if dump_certified:
        _dump_certified(settings)
        return
    if file is None:
        raise InputError("give a tally file: canvass math FILE (.json or .jsonl)")
    election = current_election(settings)
    if rules_of(election).allocates != "delegates":
        check_sheets(file, election, as_json)
        return
    tallies, many = read_tallies(file)
    started = time.perf_counter()
    results = [_compute(tally, election, file, line) for line, tally in tallies]
    elapsed = time.perf_counter() - started
    if as_json:
        for result in results:
            emit_json(result.to_json())
    elif many:
        _print_summary(results, election, elapsed)
    else:
        _print_one(results[0], tallies[0][1], election)


def read_tallies(path: Path) -> tuple[list[tuple[int, Tally]], bool]:
    """(line number, tally) pairs, and whether the file is JSON Lines (many tallies).

    A .jsonl/.ndjson file is JSON Lines; any other file is one JSON object, or JSON Lines
    if it holds several objects one per line.
    """
    return _read_objects(path, _tally)


def read_sheets(path: Path, election: Election) -> tuple[list[tuple[int, SheetNumbers]], bool]:
    """(line number, sheet's numbers) pairs, and whether the file is JSON Lines; every key
    must be a field of the election's form."""
    return _read_objects(path, lambda data, p, line: _sheet(data, p, line, election))


def _read_objects(
    path: Path, parse: Callable[[Any, Path, int], Parsed]
) -> tuple[list[tuple[int, Parsed]], bool]:
    if not path.is_file():
        raise NotFoundError(f"{path}: no such file; give the path of a .json or .jsonl tally file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason}); save it as UTF-8") from exc
    if path.suffix.lower() not in JSON_LINES_SUFFIXES:
        try:
            return [(1, parse(json.loads(text), path, 1))], False
        except json.JSONDecodeError as exc:
            if not exc.msg.startswith("Extra data"):
                raise _bad_json(path, exc.lineno, exc) from exc
    tallies = list(_json_lines(text, path, parse))
    if not tallies:
        raise InputError(f"{path}: no tallies in the file; put one JSON object per line")
    return tallies, True


def _json_lines(
    text: str, path: Path, parse: Callable[[Any, Path, int], Parsed]
) -> Iterator[tuple[int, Parsed]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise _bad_json(path, number, exc) from exc
        yield number, parse(data, path, number)


def _bad_json(path: Path, line: int, exc: json.JSONDecodeError) -> InputError:
    return InputError(
        f"{path} line {line}: not valid JSON ({exc.msg}, column {exc.colno}); fix that line"
    )


def _tally(data: Any, path: Path, line: int) -> Tally:
    if not isinstance(data, dict):
        raise InputError(
            f"{path} line {line}: expected a JSON object (a tally), not {data!r:.40}; "
            "for many tallies put one object per line in a .jsonl file"
        )
    try:
        return Tally.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"{path} line {line}: {_explain(exc)}") from exc


def _sheet(data: Any, path: Path, line: int, election: Election) -> SheetNumbers:
    spec = form_of(election)
    if not isinstance(data, dict):
        raise InputError(
            f"{path} line {line}: expected a JSON object (a sheet's numbers), not "
            f"{data!r:.40}; for many sheets put one object per line in a .jsonl file"
        )
    try:
        sheet = SheetNumbers.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"{path} line {line}: {_explain(exc)}") from exc
    strange = [k for k in (*sheet.values, *sheet.ticks) if not spec.is_key(k, election.candidates)]
    if strange:
        raise InputError(
            f"{path} line {line}: {strange[0]!r} is not a field of the {spec.title} sheet of "
            f"{election.name}; its fields are {spec.key_help()}"
        )
    return sheet


def check_sheets(file: Path, election: Election, as_json: bool) -> None:
    """The sheets' identities (the rules allocate nothing): findings per sheet."""
    sheets, many = read_sheets(file, election)
    started = time.perf_counter()
    results = [(s, check_sheet(election, s.precinct, s.values, s.ticks)) for _, s in sheets]
    elapsed = time.perf_counter() - started
    console = Console()
    if as_json:
        for _, result in results:
            emit_json(result.to_json())
        return
    if not many:
        _print_sheet(console, election, *results[0])
        return
    flagged = [(s, r) for s, r in results if r.findings]
    table = Table("precinct", "findings", title="Sheets with findings")
    for s, r in flagged:
        table.add_row(s.precinct, ", ".join(sorted({f.code for f in r.findings})))
    if flagged:
        console.print(table)
    counts = Table(
        "finding", "sheets", title=f"{len(results)} sheets, {len(flagged)} with findings"
    )
    for code in rules_of(election).findings:
        n = sum(1 for _, r in results if any(f.code == code for f in r.findings))
        if n:
            counts.add_row(code, str(n))
    console.print(counts)
    console.print(f"{rules_of(election).title}: {len(results)} sheets in {elapsed:.3f} s")


def _print_sheet(
    console: Console, election: Election, sheet: SheetNumbers, result: SheetMath
) -> None:
    """One sheet: its lines as written, then the sums it breaks."""
    spec = form_of(election)
    columns = spec.count_columns()
    table = Table(spec.row_heading, title=f"{sheet.precinct}: {spec.title}")
    for c in columns:
        table.add_column(c.title, justify="right")
    lines: list[tuple[str, str | None]] = [(r, r) for r in election.candidates]
    if spec.totals_row is not None:
        lines.append((spec.totals_row, None))
    for label, row in lines:
        counts = [sheet.values.get(key_of(c.name, row)) for c in columns]
        if any(v is not None for v in counts):
            table.add_row(label, *("" if v is None else str(v) for v in counts))
    console.print(table)
    for f in result.findings:
        console.print(f"[bold]{f.code}[/bold]: {f.message}", markup=True)
    if not result.findings:
        console.print("No findings: the sheet's sums hold.")


def _explain(exc: ValidationError) -> str:
    """The first problem of a tally, and what to do about it."""
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"]) or "the tally"
    if error["type"] == "missing":
        return f"{where} is missing; add it"
    if error["type"] == "extra_forbidden":
        return f"{where} is not a tally key; remove it (see the tally format in the README)"
    return (
        f"{where} = {error.get('input')!r:.40}: {error['msg']}; counts are whole numbers "
        "0 or more (see the tally format in the README)"
    )


def _compute(tally: Tally, election: Election, path: Path, line: int) -> MathResult:
    try:
        return compute_for_election(tally, election)
    except InputError as exc:
        raise InputError(f"{path} line {line}: {exc.message}") from exc


def _dump_certified(settings: Settings) -> None:
    election = builtin_election(settings)
    for unit in load_certified(settings.fixtures_dir / "iowa2020", election):
        emit_json(unit.tally.model_dump(mode="json", exclude_defaults=True))


def _print_one(result: MathResult, tally: Tally, election: Election) -> None:
    """One tally: a row per candidate who appears on it, then the findings."""
    title = (
        f"{result.precinct}: {tally.attendees} attendees, "
        f"{result.delegates_to_elect} delegates to elect, threshold {result.threshold}"
    )
    table = Table("candidate", "first", "final", "viable", "delegates (rules)", title=title)
    for column in ("delegates (sheet)", "SDE"):
        table.add_column(column, justify="right")
    toss = result.coin_toss
    for c in election.candidates:
        if not (tally.first.get(c) or tally.final.get(c) or (tally.county_delegates or {}).get(c)):
            continue
        rule = str(result.allocation.delegates.get(c, 0))
        if toss is not None and not toss.resolved and c in toss.between:
            rule += " (+1 if the toss is won)"
        sheet = "" if tally.county_delegates is None else str(tally.county_delegates.get(c, 0))
        sde = "" if result.sde is None else str(result.sde[c])
        viable = "yes" if c in result.viable else ""
        table.add_row(
            c, str(tally.first.get(c, 0)), str(tally.final.get(c, 0)), viable, rule, sheet, sde
        )
    console = Console()
    console.print(table)
    for line in _finding_lines(result):
        console.print(line)


def _finding_lines(result: MathResult) -> list[str]:
    lines = [f"[bold]{f.code.value}[/bold]: {f.message}" for f in result.findings]
    if not result.findings:
        lines.append("No findings: the sheet agrees with the rules.")
    if result.uncertain_rule:
        lines.append(f"[yellow]uncertain rule[/yellow]: {result.uncertain_rule}")
    lines.extend(f"note: {note}" for note in result.notes)
    return lines


def _print_summary(results: list[MathResult], election: Election, elapsed: float) -> None:
    """Many tallies: one row per tally with findings, the counts by code, the SDE totals."""
    console = Console()
    flagged = [r for r in results if r.findings]
    table = Table("precinct", "delegates", "threshold", "findings", title="Tallies with findings")
    for r in flagged:
        codes = ", ".join(sorted({f.code.value for f in r.findings}))
        table.add_row(r.precinct, str(r.delegates_to_elect), str(r.threshold), codes)
    if flagged:
        console.print(table)
    counts = Table(
        "finding", "tallies", title=f"{len(results)} tallies, {len(flagged)} with findings"
    )
    for code, n in count_by_code([r.findings for r in results]).items():
        counts.add_row(code, str(n))
    console.print(counts)
    totals = state_sde_totals(results, rule_set(election.rule_set))
    sde = Table("candidate", "SDE", title="SDE totals")
    for c in election.candidates:
        sde.add_row(c, str(totals.get(c, "")))
    console.print(sde)
    console.print(f"caucus math on {len(results)} tallies in {elapsed:.3f} s")
