"""Electronic reports for the demo, with the errors 2020 actually had, injected on purpose.

From the certified numbers of each precinct: the app's report, with a share of precincts
carrying one error each -- a two-digit count with its digits transposed, two candidates'
columns swapped, a count off by a few, a precinct's numbers copied from another, or no
report at all -- and a hotline transcription of some precincts that agrees with the paper.
Every injected error is listed, so the demo can check that each one reached the queue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from canvass.model import Tally

KINDS = ("transposed", "swapped_columns", "off_by_few", "copied", "missing")
MEASURES = ("first", "final", "county_delegates")


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


def report_fields(tally: Tally) -> dict[str, int]:
    fields = {"attendees": tally.attendees}
    for measure in MEASURES:
        for candidate, value in (getattr(tally, measure) or {}).items():
            fields[f"{measure}.{candidate}"] = int(value)
    return fields


def make_reports(tallies: Sequence[Tally], seed: int, share: float = 0.15) -> DemoReports:
    """The app's and hotline's reports; about `share` of precincts get one injected error."""
    rng = np.random.default_rng([seed, 2020])
    app = {t.precinct: report_fields(t) for t in tallies}
    hotline = {t.precinct: dict(app[t.precinct]) for t in tallies if rng.random() < 0.3}
    injected: list[InjectedError] = []
    for tally in tallies:
        if rng.random() >= share:
            continue
        kind = KINDS[int(rng.integers(len(KINDS)))]
        error = _inject(kind, tally, tallies, app, rng)
        if error is not None:
            injected.append(error)
            if kind == "missing":
                hotline.pop(tally.precinct, None)
    return DemoReports(app, hotline, injected)


def _inject(
    kind: str,
    tally: Tally,
    tallies: Sequence[Tally],
    app: dict[str, dict[str, int]],
    rng: np.random.Generator,
) -> InjectedError | None:
    fields = app[tally.precinct]
    p = tally.precinct
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
        names = [k.split(".", 1)[1] for k, v in fields.items() if k.startswith("final.") and v]
        pair = [c for c in names if fields[f"final.{c}"] != fields.get(f"final.{names[0]}")]
        if len(names) < 2 or not pair:
            return None
        a, b = names[0], pair[0]
        keys = []
        for measure in MEASURES:
            ka, kb = f"{measure}.{a}", f"{measure}.{b}"
            if fields.get(ka, 0) != fields.get(kb, 0):
                fields[ka], fields[kb] = fields.get(kb, 0), fields.get(ka, 0)
                keys += [ka, kb]
        return InjectedError(p, kind, tuple(keys), f"{a} and {b} columns swapped")
    if kind == "off_by_few":
        options = [k for k, v in fields.items() if v >= 4 and not k.startswith("county")]
        if not options:
            return None
        key = options[int(rng.integers(len(options)))]
        fields[key] += int(rng.choice([-3, -2, -1, 1, 2, 3]))
        return InjectedError(p, kind, (key,), f"{key} off by a few")
    others = [t for t in tallies if t.precinct != p and report_fields(t) != fields]
    if not others:
        return None
    source = others[int(rng.integers(len(others)))]
    copied = report_fields(source)
    changed = tuple(
        sorted(k for k in set(copied) | set(fields) if copied.get(k, 0) != fields.get(k, 0))
    )
    app[p] = copied
    return InjectedError(p, "copied", changed, f"numbers copied from {source.precinct}")
