"""The reconcile stage with this tree's `reconcile.joint` and with an earlier commit's, on
the readings and reports of canvass data directories (issue 17).

    python -m bench.joint_stage DIR [DIR ...] [--old REV] [--runs 2]

For each directory (e.g. one `canvass demo` filled), reconciles a fresh copy of it in a
new process, `--runs` times with each implementation, alternating, and prints the fastest
CPU time (`time.process_time`) of `reconcile_election` for each, with what it decided: the
precincts cleared, the fields cleared, and a digest of every review item as stored (kind,
fields, details with the supports rounded as stored, effect, status). The old
implementation is `git show REV:reconcile/joint.py` put in place of `reconcile.joint`
before anything imports it. Writes `<out>/joint_stage.json`.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import print_table, write_json
from bench.joint import BEFORE, ROOT, old_source

ITEMS = (
    "select key, precinct_id, kind, fields_json, details_json, effect_delegates, effect_sde,"
    " status from review_item order by key"
)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.child:
        print(json.dumps(_child(args.child, Path(args.dirs[0]), args.old)))
        return 0
    figures: dict[str, Any] = {"old": args.old, "runs": args.runs, "dirs": {}}
    for folder in args.dirs:
        runs: dict[str, list[dict[str, Any]]] = {"old": [], "new": []}
        for _ in range(args.runs):
            for which in ("old", "new"):
                runs[which].append(_run(which, folder, args.old))
        figures["dirs"][folder] = {w: _fastest(r) for w, r in runs.items()}
    _print(figures)
    write_json(Path(args.out) / "joint_stage.json", figures)
    return 0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.joint_stage", description=__doc__)
    parser.add_argument("dirs", nargs="+", help="canvass data directories")
    parser.add_argument("--old", default=BEFORE, help="the commit to compare with")
    parser.add_argument("--runs", type=int, default=2, help="runs of each implementation")
    parser.add_argument("--out", default="bench-out", help="where joint_stage.json goes")
    parser.add_argument("--child", choices=("old", "new"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _run(which: str, folder: str, rev: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.joint_stage", folder, "--old", rev, "--child", which]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _fastest(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest run, and whether every run decided the same."""
    best = min(runs, key=lambda r: float(r["cpu_seconds"]))
    same = len({(r["cleared"], r["fields_cleared"], r["items"]) for r in runs}) == 1
    return {**best, "runs_agree": same}


def _child(which: str, folder: Path, rev: str) -> dict[str, Any]:
    """Reconcile a copy of `folder` once, with the old module if asked."""
    if which == "old":
        _install_old(rev)
    from canvass.settings import Settings
    from canvass.store.db import open_engine
    from canvass.store.elections import load_election
    from canvass.stories.reconcile import reconcile_election
    from reconcile import compare

    used = Path(compare.support_sheet.__code__.co_filename)
    assert (used.parent == ROOT / "reconcile") == (which == "new"), used

    with tempfile.TemporaryDirectory(prefix="joint-stage-") as tmp:
        copy = Path(tmp) / "data"
        shutil.copytree(folder, copy)
        engine = open_engine(Settings(data_dir=copy))
        election = load_election(engine)
        started = time.process_time()
        summary = reconcile_election(engine, election, datetime.now(UTC))
        cpu = time.process_time() - started
        engine.dispose()
        with sqlite3.connect(copy / "canvass.db") as db:
            rows = db.execute(ITEMS).fetchall()
    return {
        "cpu_seconds": cpu,
        "precincts": summary.precincts,
        "cleared": summary.cleared,
        "fields_cleared": summary.fields_cleared,
        "items": hashlib.sha256(repr(rows).encode()).hexdigest()[:16],
        "item_count": len(rows),
    }


def _install_old(rev: str) -> None:
    """`reconcile.joint` as it was at `rev`, before anything imports it."""
    import reconcile

    source = old_source(rev)
    with tempfile.TemporaryDirectory(prefix="joint-old-") as folder:
        path = Path(folder) / "joint.py"
        path.write_text(source, encoding="utf-8")
        spec = importlib.util.spec_from_file_location("reconcile.joint", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["reconcile.joint"] = module
        spec.loader.exec_module(module)
    reconcile.joint = module


def _print(figures: dict[str, Any]) -> None:
    rows = []
    for folder, f in figures["dirs"].items():
        old, new = f["old"], f["new"]
        same = old["items"] == new["items"] and old["cleared"] == new["cleared"]
        same = same and old["fields_cleared"] == new["fields_cleared"]
        rows.append(
            [
                Path(folder).name,
                str(new["precincts"]),
                f"{old['cpu_seconds']:.2f}",
                f"{new['cpu_seconds']:.2f}",
                f"{new['cleared']} / {new['fields_cleared']} / {new['item_count']}",
                "yes" if same and old["runs_agree"] and new["runs_agree"] else "NO",
            ]
        )
    columns = ["data", "precincts", "old CPU s", "new CPU s", "cleared / fields / items", "same"]
    print_table(f"reconcile stage: this tree against {figures['old'][:8]}", columns, rows)


if __name__ == "__main__":
    raise SystemExit(main())
