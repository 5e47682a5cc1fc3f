"""Smoke test of the whole-state benchmark at tiny size: two committed 12 MP photos through
init, ingest then read (or, `--overlap`, reading while ingesting), reports and reconcile
(`--reconcile-workers 2` with it), then the read profile; the JSON has every stage."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from canvass.settings import REPO_ROOT

FULL = REPO_ROOT / "fixtures" / "photos" / "full"


OVERLAPPED = ["init", "ingest + read (overlapped)", "reports import", "reconcile"]
SEQUENTIAL = ["init", "ingest", "read", "reports import", "reconcile"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("flags", "expected"),
    [((), SEQUENTIAL), (("--overlap", "--reconcile-workers", "2"), OVERLAPPED)],
)
def test_state_bench_runs_every_stage(
    tmp_path: Path, flags: tuple[str, ...], expected: list[str]
) -> None:
    photos = tmp_path / "photos"
    shutil.copytree(FULL, photos / "state-seed1-n2")  # the cache layout the bench reuses
    out = tmp_path / "out"
    command = [sys.executable, "-m", "bench.state", "--count", "2"]
    command += ["--photos", str(photos), "--out", str(out), "--workers", "1", "--profile", "1"]
    command += flags
    done = subprocess.run(
        command,
        cwd=REPO_ROOT,  # bench/ is not installed, only importable from the repository root
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads((out / "state.json").read_text())
    stages = [s["stage"] for s in figures["stages"]]
    assert stages == expected
    assert figures["results"]["ingest"] == {"stored": 2}
    assert figures["results"]["read"]["read"] == 2
    assert figures["results"]["reconcile"]["precincts"] == 2
    assert abs(sum(s["share"] for s in figures["stages"]) - 1) < 0.01
    profile = figures["read_profile"]
    assert profile["photos"] == 1 and "read.read_fields" in profile["stages_share"]
    assert "photos/s/core" in done.stdout
