"""Electronic reports for the demo, with the errors 2020 actually had, injected on purpose.

From each precinct's true sheet (`SheetNumbers`, any form): the app's report -- the sheet's
reported counts (`FormSpec.reported_keys`, less the header fields the rules derive, such as
the written viability threshold) -- with a share of precincts carrying one error each: a
two-digit count with its digits transposed, two rows' (candidates', ballot lines') numbers
swapped, a count off by a few, a precinct's numbers copied from another, or no report at
all; and a hotline transcription of some precincts that agrees with the paper. Every
injected error is listed, so the demo can check that each one reached the queue.

For the caucus worksheet these are exactly the reports the demo made from Tallies before
forms were data (same seed, same precincts, same fields: tests/test_demo_reports.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from canvass.forms.spec import FormSpec, key_of, parse_key
from canvass.model import SheetNumbers

KINDS = ("transposed", "swapped_columns", "off_by_few", "copied", "missing")


@dataclass(frozen=True)
class Injection:
    """Per form, what the injected errors lean on. `swap_by`: the column whose non-zero
    rows may be swapped (the caucus's final alignment; a results sheet's total);
    `not_off`: columns never put off by a few (the caucus's county delegates, small
    numbers the rules derive)."""

    swap_by: str
    not_off: tuple[str, ...] = ()


INJECTIONS = {"caucus-math-worksheet": Injection("final", ("county_delegates",))}


def injection_for(spec: FormSpec) -> Injection:
    """The form's entry in INJECTIONS; otherwise swap by its last count column."""
    return INJECTIONS.get(spec.id) or Injection(spec.count_columns()[-1].name)


@dataclass(frozen=True)
class InjectedError:
    precinct: str
    kind: str
    fields: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class DemoReports:
    app: dict[str, dict[str, int]]
    hotline: dict[str, dict[str, int]]
    injected: list[InjectedError]


def report_keys(spec: FormSpec, rows: Sequence[str]) -> list[str]:
    """The keys an electronic report carries, in the report's order."""
    derived = {h.key for h in spec.header if h.derived_from is not None}
    return [k for k in spec.reported_keys(rows) if k not in derived]


def report_fields(sheet: SheetNumbers, keys: Sequence[str]) -> dict[str, int]:
    """The sheet's report: its counts for `keys` (keys the sheet lacks are left out)."""
    return {k: int(sheet.values[k]) for k in keys if k in sheet.values}


def make_reports(
    sheets: Sequence[SheetNumbers],
    spec: FormSpec,
    rows: Sequence[str],
    seed: int,
    share: float = 0.15,
) -> DemoReports:
    """The app's and hotline's reports for the sheets of form `spec` with rows `rows`
    (the election's candidates); about `share` of precincts get one injected error."""
    rng = np.random.default_rng([seed, 2020])
    keys = report_keys(spec, rows)
    app = {s.precinct: report_fields(s, keys) for s in sheets}
    hotline = {s.precinct: dict(app[s.precinct]) for s in sheets if rng.random() < 0.3}
    injected: list[InjectedError] = []
    context = _Context(sheets, keys, spec, rows, injection_for(spec))
    for sheet in sheets:
        if rng.random() >= share:
            continue
        kind = KINDS[int(rng.integers(len(KINDS)))]
        error = _inject(kind, sheet.precinct, context, app, rng)
        if error is not None:
            injected.append(error)
            if kind == "missing":
                hotline.pop(sheet.precinct, None)
    return DemoReports(app, hotline, injected)


@dataclass(frozen=True)
class _Context:
    sheets: Sequence[SheetNumbers]
    keys: Sequence[str]
    spec: FormSpec
    rows: Sequence[str]
    injection: Injection


def _inject(
    kind: str,
    p: str,
    context: _Context,
    app: dict[str, dict[str, int]],
    rng: np.random.Generator,
) -> InjectedError | None:
    fields = app[p]
    if kind == "missing":
        del app[p]
        return InjectedError(p, kind, (), "no report from the app")
    if kind == "transposed":
        options = [k for k, v in fields.items() if 10 <= v <= 99 and str(v)[0] != str(v)[1]]
        if not options:
            return None
        key = options[int(rng.integers(len(options)))]
        fields[key] = int(str(fields[key])[::-1])
        return InjectedError(p, kind, (key,), f"{key} reported with its digits transposed")
    if kind == "swapped_columns":
        return _swap_rows(p, fields, context)
    if kind == "off_by_few":
        never = context.injection.not_off
        options = [k for k, v in fields.items() if v >= 4 and parse_key(k)[0] not in never]
        if not options:
            return None
        key = options[int(rng.integers(len(options)))]
        fields[key] += int(rng.choice([-3, -2, -1, 1, 2, 3]))
        return InjectedError(p, kind, (key,), f"{key} off by a few")
    others = [
        s for s in context.sheets if s.precinct != p and report_fields(s, context.keys) != fields
    ]
    if not others:
        return None
    source = others[int(rng.integers(len(others)))]
    copied = report_fields(source, context.keys)
    changed = tuple(
        sorted(k for k in set(copied) | set(fields) if copied.get(k, 0) != fields.get(k, 0))
    )
    app[p] = copied
    return InjectedError(p, "copied", changed, f"numbers copied from {source.precinct}")


def _swap_rows(p: str, fields: dict[str, int], context: _Context) -> InjectedError | None:
    """The first row with a non-zero count in the `swap_by` column and the next such row
    whose count differs trade their numbers in every count column where they differ."""
    by = context.injection.swap_by
    names = [r for r in context.rows if fields.get(key_of(by, r))]
    pair = [r for r in names if fields[key_of(by, r)] != fields.get(key_of(by, names[0]))]
    if len(names) < 2 or not pair:
        return None
    a, b = names[0], pair[0]
    keys: list[str] = []
    for column in context.spec.count_columns():
        ka, kb = key_of(column.name, a), key_of(column.name, b)
        if ka not in context.keys:
            continue
        if fields.get(ka, 0) != fields.get(kb, 0):
            fields[ka], fields[kb] = fields.get(kb, 0), fields.get(ka, 0)
            keys += [ka, kb]
    return InjectedError(p, "swapped_columns", tuple(keys), f"{a} and {b} columns swapped")
