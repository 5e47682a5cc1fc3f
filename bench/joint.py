"""The joint sheet model's cost and results, this tree's `reconcile.joint` against an
earlier commit's (issue 17).

    python -m bench.joint [--data DIR ...] [--old REV] [--repeat 3] [--odds 1000 100000]

The sheets are real readings of real photos: the committed good photos of
`fixtures/photos` (read here with the committed digit model, Iowa 2020 caucuses), and the
readings in force in each canvass data directory given with `--data` (e.g. one `canvass
demo` filled, with its own election). Every sheet's supports are computed by both
implementations, interleaved sheet by sheet so that the machine's load falls on both
alike; each is timed in CPU time (`time.process_time`, the fastest of `--repeat` runs),
and beside them the part both share, the fields' image distributions
(`ocr.verify.value_distribution`). The old implementation is `git show
REV:reconcile/joint.py` loaded as a module from a temporary folder, so no second copy of
the algorithm lives in the tree.

What is compared: the largest absolute difference of any support of any field, new
against old, and each against a reference (this tree's model with every sum taken
directly and pruning at 1e-30: exact to rounding, slowly); and the decisions: per field
and threshold, the set of values whose support reaches it (the policy's 0.999,
`reconcile.compare.DEFAULT_CLEAR_THRESHOLD`, as `support >= threshold` for the reported
value and for the best other; and the reader's bands for good measure). `margin` is the
closest a support the two implementations give differently comes to any threshold: a
difference below it cannot change a decision. Writes `<out>/joint.json`.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from bench.common import write_json
from canvass.model import FieldReading
from reconcile import joint
from reconcile.joint import SheetModel, SheetOdds

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "4d0cb6106e1209b98183b838565fd0c858154eef"
"""The commit before issue 17's change to the sums (the FFT over every value)."""
THRESHOLDS = (0.5, 0.9, 0.99, 0.999, 0.9995, 0.999999, 1 - 1.1e-7)
"""The policy's clearing threshold (0.999), the reader's bands (`ocr.assemble.Bands`: 0.6
is not a support threshold; 0.9995 blank, 0.999999 ok, 1 - 1.1e-7 the band the read
benchmark chooses) and a few round ones."""

Support = Callable[..., Any]


@dataclass(frozen=True)
class Sheet:
    """One reading to give both implementations."""

    source: str
    precinct: str
    fields: Mapping[str, FieldReading]
    model: SheetModel


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    old = load_old(args.old)
    sheets = fixture_sheets() + [s for d in args.data for s in data_sheets(Path(d))]
    figures: dict[str, Any] = {"old": args.old, "repeat": args.repeat, "sources": {}}
    for source in dict.fromkeys(s.source for s in sheets):
        chosen = [s for s in sheets if s.source == source]
        figures["sources"][source] = measure(chosen, old, args.repeat, args.odds)
    _print(figures)
    write_json(Path(args.out) / "joint.json", figures)
    return 0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.joint", description=__doc__)
    parser.add_argument("--data", action="append", default=[], help="a canvass data dir")
    parser.add_argument("--old", default=BEFORE, help="the commit to compare with")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each sheet")
    parser.add_argument(
        "--odds", type=float, nargs="+", default=[1000.0, 100000.0], help="odds compared"
    )
    parser.add_argument("--out", default="bench-out", help="where joint.json goes")
    return parser.parse_args(argv)


def old_source(rev: str) -> str:
    """The text of `reconcile/joint.py` at `rev` (from git)."""
    return subprocess.run(
        ["git", "show", f"{rev}:reconcile/joint.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def load_old(rev: str) -> ModuleType:
    """`reconcile/joint.py` as it was at `rev`, imported from a temporary file."""
    source = old_source(rev)
    with tempfile.TemporaryDirectory(prefix="joint-old-") as folder:
        path = Path(folder) / "joint_old.py"
        path.write_text(source, encoding="utf-8")
        return _load(path, "bench_joint_old")


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def fixture_sheets() -> list[Sheet]:
    """The committed good photos, read now (a few seconds)."""
    from canvass.elections.iowa2020 import build_iowa2020
    from canvass.settings import BUILTIN_DATA
    from ocr.read import default_reader
    from reconcile.sheet_math import sheet_model

    election = build_iowa2020(BUILTIN_DATA / "iowa2020")
    reader = default_reader(election)
    sheets = []
    for manifest in sorted((ROOT / "fixtures" / "photos").glob("*/manifest.jsonl")):
        for line in manifest.read_text(encoding="utf-8").splitlines():
            entry = _json(line)
            if entry["kind"] != "good":
                continue
            reading = reader((manifest.parent / entry["photo"]).read_bytes()).reading
            if reading.status == "read" and reading.precinct:
                model = sheet_model(election, reading.precinct)
                name = f"fixtures/{manifest.parent.name}"
                sheets.append(Sheet(name, reading.precinct, reading.fields, model))
    return sheets


def data_sheets(folder: Path) -> list[Sheet]:
    """Every reading in force in a canvass data directory, with its election's sheets."""
    from canvass.settings import Settings
    from canvass.store.db import open_engine
    from canvass.store.elections import load_election
    from canvass.store.readings import readings_in_force
    from reconcile.sheet_math import sheet_model

    engine = open_engine(Settings(data_dir=folder))
    election = load_election(engine)
    name = f"{folder.name} ({election.form})"
    return [
        Sheet(name, precinct, stored.reading.fields, sheet_model(election, precinct))
        for precinct, stored in readings_in_force(engine, election.id).items()
    ]


def measure(
    sheets: Sequence[Sheet], old: ModuleType, repeat: int, odds: Sequence[float]
) -> dict[str, Any]:
    """CPU time per sheet of both implementations, and how far their supports differ."""
    from ocr.verify import value_distribution

    seconds = {"old": 0.0, "new": 0.0, "images": 0.0}
    for sheet in sheets:
        boxes = [f.boxes for f in sheet.fields.values() if f.boxes]
        seconds["old"] += _fastest(partial(old.support_sheet, sheet.fields, sheet.model), repeat)
        seconds["new"] += _fastest(partial(joint.support_sheet, sheet.fields, sheet.model), repeat)
        seconds["images"] += _fastest(partial(_images, boxes, value_distribution), repeat)
    figures: dict[str, Any] = {
        "sheets": len(sheets),
        "fields": sum(len(s.fields) for s in sheets),
        **{f"{k}_ms_per_sheet": 1000 * v / len(sheets) for k, v in seconds.items()},
    }
    exact = load_reference()
    figures["by_odds"] = {str(o): compare(sheets, old, exact, SheetOdds(o)) for o in odds}
    return figures


def _images(boxes: Sequence[Any], distribution: Callable[[Any], object]) -> None:
    for b in boxes:
        distribution(b)


def _fastest(run: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(max(1, repeat)):
        started = time.process_time()
        run()
        best = min(best, time.process_time() - started)
    return best


def compare(
    sheets: Sequence[Sheet], old: ModuleType, exact: ModuleType, odds: SheetOdds
) -> dict[str, Any]:
    """The largest support difference (new against old, and each against the reference),
    the decisions that differ, and the closest a support the two give differently comes
    to a threshold (a difference below that cannot change a decision)."""
    worst = {"new_old": 0.0, "old_reference": 0.0, "new_reference": 0.0}
    changed, margin = [], 1.0
    for sheet in sheets:
        supports = [m.support_sheet(sheet.fields, sheet.model, odds) for m in (old, joint, exact)]
        for key in sheet.fields:
            a, b, r = (s.marginal(key) for s in supports)
            if a is None or b is None or r is None:
                assert a is None and b is None and r is None, key
                continue
            for name, (x, y) in {"new_old": (b, a), "old_reference": (a, r)}.items():
                worst[name] = max(worst[name], float(np.max(np.abs(x - y))))
            worst["new_reference"] = max(worst["new_reference"], float(np.max(np.abs(b - r))))
            differ = a != b
            for t in THRESHOLDS:
                if differ.any():
                    margin = min(margin, float(np.min(np.abs(a[differ] - t))))
                if not np.array_equal(np.flatnonzero(a >= t), np.flatnonzero(b >= t)):
                    changed.append({"precinct": sheet.precinct, "field": key, "threshold": t})
    return {
        **{f"max_difference_{k}": v for k, v in worst.items()},
        "decisions_changed": changed,
        "margin": margin,
    }


def load_reference() -> ModuleType:
    """This tree's model with every sum taken directly (no FFT rounding) and pruning at
    1e-30 instead of PRUNED: the supports exact to rounding, slowly. Loaded as its own
    copies of both modules, so the product's modules stay as they are."""
    sums = _load(ROOT / "reconcile" / "joint_sums.py", "bench_joint_sums_exact")
    setattr(sums, "_fft_cost", lambda length: 1 << 62)  # noqa: B010 (a loaded copy: untyped)
    exact = _load(ROOT / "reconcile" / "joint.py", "bench_joint_exact")
    for name in ("add", "backward", "forward", "lag", "significant"):
        setattr(exact, name, getattr(sums, name))
    setattr(exact, "PRUNED", 1e-30)  # noqa: B010
    return exact


def _print(figures: dict[str, Any]) -> None:
    rows = []
    for source, f in figures["sources"].items():
        for odds, c in f["by_odds"].items():
            rows.append(
                [
                    source,
                    str(f["sheets"]),
                    f"{f['old_ms_per_sheet']:.1f}",
                    f"{f['new_ms_per_sheet']:.1f}",
                    f"{f['images_ms_per_sheet']:.1f}",
                    f"{float(odds):g}",
                    f"{c['max_difference_new_old']:.1e}",
                    f"{c['max_difference_old_reference']:.1e}",
                    f"{c['max_difference_new_reference']:.1e}",
                    f"{c['margin']:.1e}",
                    str(len(c["decisions_changed"])),
                ]
            )
    columns = [
        "sheets",
        "n",
        "old CPU ms/sheet",
        "new",
        "of which images",
        "odds",
        "max |new - old|",
        "|old - exact|",
        "|new - exact|",
        "margin",
        "decisions changed",
    ]
    table = Table(*columns, title=f"reconcile.joint: this tree against {figures['old'][:8]}")
    for row in rows:
        table.add_row(*row)
    Console(width=170).print(table)


def _json(line: str) -> dict[str, Any]:
    import json

    value: dict[str, Any] = json.loads(line)
    return value


if __name__ == "__main__":
    raise SystemExit(main())
