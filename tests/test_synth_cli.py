"""`canvass synth photos` as a user runs it: photos, ground truth and a manifest."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from canvass.handwriting import split_of
from canvass.settings import Settings
from tests.conftest import CANVASS, canvass_env


def run(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CANVASS, *args], env=canvass_env(settings), capture_output=True, text=True, timeout=120
    )


def test_synth_photos_writes_photos_truth_and_manifest(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "photos"
    done = run(
        sqlite_settings,
        *("synth", "photos", "--out", str(out), "--count", "4", "--county", "Polk"),
        *("--seed", "9", "--rejects", "0.25", "--scale", "0.15", "--split", "calibrate", "--json"),
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["photos"] == 4 and summary["kinds"] == {"good": 3, "corner_cut": 1}
    rows = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert len(rows) == 4
    for row in rows:
        assert (out / row["photo"]).read_bytes()[:2] == b"\xff\xd8"
        truth = json.loads((out / row["truth"]).read_text())
        assert truth["precinct"].startswith("POLK-") and truth["split"] == "calibrate"
        assert truth["seed"] == 9 and truth["kind"] == row["kind"]
        assert all(
            split_of(s) == "calibrate" for f in truth["fields"].values() for s in f["samples"]
        )


def test_training_digits_never_fill_photos(sqlite_settings: Settings, tmp_path: Path) -> None:
    done = run(sqlite_settings, "synth", "photos", "--out", str(tmp_path), "--split", "train")
    assert done.returncode == 3
    assert "evaluate or calibrate" in done.stderr
    assert not (tmp_path / "manifest.jsonl").exists()
