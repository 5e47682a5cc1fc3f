"""Smoke test of the surge benchmark at tiny size against a real `canvass serve`: a few
uploads, idle and slow connections, the three abusive clients (with the server's slow-sender
grace shortened so the test takes seconds), reading catching up, and `canvass doctor`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from canvass.settings import REPO_ROOT

SMALL = REPO_ROOT / "fixtures" / "photos" / "small"


def cached_set(photos: Path, count: int) -> None:
    """Committed small photos in the layout of the bench's cache (good ones only)."""
    folder = photos / f"surge-seed1-n{count}"
    folder.mkdir(parents=True)
    rows = [json.loads(line) for line in (SMALL / "manifest.jsonl").read_text().splitlines()]
    good = [r for r in rows if r["kind"] == "good"][:count]
    with (folder / "manifest.jsonl").open("w") as f:
        for row in good:
            (folder / row["photo"]).write_bytes((SMALL / row["photo"]).read_bytes())
            f.write(json.dumps({k: row[k] for k in ("photo", "precinct", "sha256")}) + "\n")


@pytest.mark.slow
def test_surge_bench_small(tmp_path: Path) -> None:
    photos, out = tmp_path / "photos", tmp_path / "out"
    cached_set(photos, 4)
    command = [sys.executable, "-m", "bench.surge", "--clients", "4", "--idle", "8"]
    command += ["--window", "1", "--crowd", "12", "--photos", str(photos), "--out", str(out)]
    command += ["--server-setting", "slow_upload_grace_seconds=1"]
    command += ["--server-setting", "requests_per_client=4"]
    # From the checkout: bench/ is not installed, only importable from the repository root.
    done = subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads((out / "surge.json").read_text())
    assert figures["acknowledged"] == 4 and figures["errors"] == {}
    assert figures["lost"]["lost"] == 0
    assert figures["catch_up"]["caught_up"]
    assert figures["doctor"]["exit_code"] == 0
    assert figures["idle"]["slow-body"] == {"answered 408": 2}
    abuse = figures["abuse"]
    # Refused before its body is read: the 413 is sent and the connection closed while the
    # client is still writing, so the kernel may reset it and drop the answer (the same
    # refusal seen from the client's side, as in test_limits); never taken whole.
    huge = abuse["huge_declared"]
    assert huge["answer"] in ("413", "error: connection reset")
    assert huge["bytes_sent_before_answer"] < 200_000_000
    assert abuse["huge_chunked"]["answer"] == "413"
    assert abuse["slow_sender"]["answer"] == "408"
    assert set(abuse["crowd"]["statuses"]) <= {"202", "429"}
