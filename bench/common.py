"""What both benchmarks share: the cached photo sets, stage timing, the table and the JSON.

Photo sets are made once with the product's own generator (`canvass synth photos`, the
8-12 MP phone photos) and kept in a folder the caller names; a rerun reuses them, and a
smaller run takes the first photos of a full set when one is there.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from canvass.errors import InputError

STATE_UNITS = 1765  # Iowa 2020: 1,678 precincts and 87 satellite caucuses
MANIFEST = "manifest.jsonl"
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_THREAD_LIMIT")


@dataclass(frozen=True)
class PhotoEntry:
    """One generated photo: its file, the precinct it shows, and its SHA-256."""

    path: Path
    precinct: str
    sha256: str


def one_thread_per_process() -> None:
    """One BLAS/OpenMP thread per process (inherited by spawned workers): the pools already
    use every core, and nested thread pools on two cores only add switching. Call before
    numpy is imported."""
    for var in THREAD_VARS:
        os.environ.setdefault(var, "1")


def photo_set(root: Path, count: int, seed: int) -> list[PhotoEntry]:
    """`count` worksheet photos of distinct precincts (all when count >= the state's),
    generated on first use under `root` and reused afterwards."""
    if count < 1:
        raise InputError(f"--count {count}: ask for at least one photo")
    full = root / f"state-seed{seed}-all"
    if (full / MANIFEST).exists():
        return read_manifest(full)[:count]
    if count >= STATE_UNITS:
        generate(full, None, seed)
        return read_manifest(full)
    partial = root / f"state-seed{seed}-n{count}"
    if not (partial / MANIFEST).exists():
        generate(partial, count, seed)
    return read_manifest(partial)


def generate(folder: Path, count: int | None, seed: int) -> None:
    """Run `canvass synth photos` (all cores; good photos only, as precincts would send)."""
    amount = ["--all"] if count is None else ["--count", str(count)]
    command = [sys.executable, "-m", "canvass", "synth", "photos", "--out", str(folder)]
    command += [*amount, "--seed", str(seed), "--rejects", "0", "--json"]
    env = {k: v for k, v in os.environ.items() if k != "CANVASS_DATABASE_URL"}
    env["CANVASS_DATA_DIR"] = str(folder.parent / "no-database")  # the built-in election
    Console(stderr=True).print(f"generating photos once into {folder} ...")
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise InputError(f"canvass synth photos failed: {done.stderr.strip()}")


def read_manifest(folder: Path) -> list[PhotoEntry]:
    rows = [json.loads(line) for line in (folder / MANIFEST).read_text().splitlines() if line]
    return [PhotoEntry(folder / r["photo"], r["precinct"], r["sha256"]) for r in rows]


class Clock:
    """Wall seconds per named stage, in the order they ran."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] = time.perf_counter() - started

    @property
    def total(self) -> float:
        return sum(self.seconds.values())


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (`share` in 0..1); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1))
    return ordered[rank]


def print_table(title: str, columns: list[str], rows: list[list[str]]) -> None:
    table = Table(*columns, title=title)
    for row in rows:
        table.add_row(*row)
    Console().print(table)


def write_json(path: Path, figures: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    Console(stderr=True).print(f"wrote {path}")
