"""How long the light commands take to start and answer (issue 17: < 0.5 s each).

    python -m bench.cli_start [--runs 9] [--out bench-out] [--before DIR]

Runs `canvass --help`, `canvass status --json` and `canvass queue --json` as a user does
(a new Python process each time) on a fresh SQLite database with Iowa 2020 loaded, `--runs`
times each in turn, and prints the median and fastest wall time and the median CPU time
(user + system: less sensitive to the other processes than the wall time) of each, beside
the bare interpreter's start (`python -c pass`) and the load average before and after.
Writes `<out>/cli_start.json`. On a shared machine compare the medians with the
interpreter's own start in the same run.

`--before DIR` (repeatable) also times the light commands of another source tree (e.g. an
earlier commit: `git archive COMMIT | tar -x -C DIR`), named by the folder, in the same
interleaved runs, on the same database and virtual environment, so before and after see
the same load.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import print_table, write_json

TARGET_SECONDS = 0.5
COMMANDS: dict[str, list[str]] = {
    "python -c pass": ["-c", "pass"],
    "canvass --help": ["-m", "canvass", "--help"],
    "canvass status --json": ["-m", "canvass", "status", "--json"],
    "canvass queue --json": ["-m", "canvass", "queue", "--json"],
}

Run = tuple[list[str], dict[str, str], Path | None]
"""A timed command: its arguments to python, its environment, its working directory."""


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    out = Path(args.out)
    env = _fresh_database(out / "cli-start-data")
    runs: dict[str, Run] = {name: (command, env, None) for name, command in COMMANDS.items()}
    for tree in args.before:
        runs |= _before_runs(Path(tree).resolve(), env)
    load_before = os.getloadavg()
    seconds: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
    for _ in range(args.runs):  # interleaved, so a burst of load hits every command alike
        for name, (command, command_env, cwd) in runs.items():
            seconds[name].append(_time_once(command, command_env, cwd))
    figures = _figures(seconds, load_before, os.getloadavg())
    _print(figures)
    write_json(out / "cli_start.json", figures)
    return 0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.cli_start", description=__doc__)
    parser.add_argument("--runs", type=int, default=9, help="runs of each command")
    parser.add_argument("--out", default="bench-out", help="where cli_start.json goes")
    parser.add_argument(
        "--before",
        action="append",
        default=[],
        help="another source tree to time alongside (repeatable)",
    )
    return parser.parse_args(argv)


def _fresh_database(data_dir: Path) -> dict[str, str]:
    """The environment of a new SQLite data directory with the built-in election loaded."""
    shutil.rmtree(data_dir, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANVASS_")}
    env["CANVASS_DATA_DIR"] = str(data_dir.resolve())  # the same for every working directory
    subprocess.run(
        [sys.executable, "-m", "canvass", "init", "--json"],
        env=env,
        check=True,
        capture_output=True,
    )
    return env


def _before_runs(tree: Path, env: dict[str, str]) -> dict[str, Run]:
    """The light commands run from `tree` (its `canvass` first on the path)."""
    tree_env = env | {"PYTHONPATH": str(tree)}
    return {
        f"{name} ({tree.name})": (command, tree_env, tree)
        for name, command in COMMANDS.items()
        if name.startswith("canvass ")
    }


def _time_once(
    command: list[str], env: dict[str, str], cwd: Path | None = None
) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system) of one run of `command`."""
    cpu_before = _children_cpu()
    started = time.perf_counter()
    subprocess.run([sys.executable, *command], env=env, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started, _children_cpu() - cpu_before


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _figures(
    seconds: dict[str, list[tuple[float, float]]],
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
) -> dict[str, Any]:
    return {
        "target_seconds": TARGET_SECONDS,
        "runs": len(next(iter(seconds.values()))),
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in load_after],
        "commands": [
            _command_figures(name, [wall for wall, _ in runs], [cpu for _, cpu in runs])
            for name, runs in seconds.items()
        ],
        "python": sys.version.split()[0],
    }


def _command_figures(name: str, wall: list[float], cpu: list[float]) -> dict[str, Any]:
    median = statistics.median(wall)
    return {
        "command": name,
        "median_seconds": round(median, 3),
        "fastest_seconds": round(min(wall), 3),
        "median_cpu_seconds": round(statistics.median(cpu), 3),
        "met": name == "python -c pass" or median < TARGET_SECONDS,
    }


def _print(figures: dict[str, Any]) -> None:
    rows = [
        [
            c["command"],
            f"{c['median_seconds']:.3f}",
            f"{c['fastest_seconds']:.3f}",
            f"{c['median_cpu_seconds']:.3f}",
            "" if c["command"] == "python -c pass" else ("yes" if c["met"] else "no"),
        ]
        for c in figures["commands"]
    ]
    before, after = figures["load_average_before"], figures["load_average_after"]
    title = (
        f"Start and answer, {figures['runs']} runs each (target < {TARGET_SECONDS} s); "
        f"load average {before[0]:.2f} -> {after[0]:.2f}"
    )
    print_table(title, ["command", "median s", "fastest s", "median CPU s", "< 0.5 s"], rows)


if __name__ == "__main__":
    raise SystemExit(main())
