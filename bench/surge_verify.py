"""After the surge: did reading catch up, was any acknowledged photo lost, does
`canvass doctor` find the database and the blob store in agreement?

A photo is lost when the server acknowledged it (202 with its SHA-256) but there is no
photo row for that digest, or the stored bytes do not hash to it. Each check reads the
database and the store directly, not through the server that is being tested.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from typing import Any

from sqlalchemy import Engine, func, select
from sqlmodel import col

from canvass.settings import Settings
from canvass.store.db import open_engine
from canvass.store.tables import PhotoRow, ReadingRow
from ingest.blobs import open_blob_store, sha256_of

DONE_STATUSES = ("read", "rejected", "failed")


def photo_statuses(engine: Engine) -> Counter[str]:
    query = select(col(PhotoRow.status), func.count()).group_by(col(PhotoRow.status))
    with engine.connect() as connection:
        return Counter({status: int(n) for status, n in connection.execute(query)})


def catch_up(
    settings: Settings, acknowledged: set[str], window_ended: float, limit: float
) -> dict[str, Any]:
    """Wait (at most `limit` seconds) until every stored photo is read; returns how long
    that took after the upload window closed, and the statuses at the end."""
    engine = open_engine(settings)
    deadline = time.monotonic() + limit
    statuses = photo_statuses(engine)
    while statuses.get("queued", 0) and time.monotonic() < deadline:
        time.sleep(1.0)
        statuses = photo_statuses(engine)
    waited = time.monotonic() - window_ended
    engine.dispose()
    caught_up = not statuses.get("queued", 0)
    return {
        "caught_up": caught_up,
        "seconds_after_window": round(waited, 1) if caught_up else None,
        "gave_up_after_seconds": None if caught_up else round(waited, 1),
        "photo_statuses": dict(statuses),
        "acknowledged": len(acknowledged),
    }


def lost_photos(settings: Settings, acknowledged: set[str]) -> dict[str, Any]:
    """Acknowledged digests without their row, or whose stored bytes are not theirs; and
    photos read more than once."""
    engine = open_engine(settings)
    store = open_blob_store(settings)
    query = select(col(PhotoRow.id), col(PhotoRow.sha256), col(PhotoRow.blob_key))
    with engine.connect() as connection:
        rows = {sha: (pid, key) for pid, sha, key in connection.execute(query)}
        readings = Counter(
            int(pid) for (pid,) in connection.execute(select(col(ReadingRow.photo_id)))
        )
    engine.dispose()
    missing = sorted(sha for sha in acknowledged if sha not in rows)
    bad = sorted(
        sha for sha in acknowledged if sha in rows and not _blob_matches(store, rows[sha][1], sha)
    )
    return {
        "lost": len(missing) + len(bad),
        "missing_rows": missing[:20],
        "bad_or_missing_blobs": bad[:20],
        "read_more_than_once": sum(1 for n in readings.values() if n > 1),
        "acknowledged_and_read": sum(
            1 for sha in acknowledged if readings.get(rows.get(sha, (-1,))[0])
        ),
    }


def _blob_matches(store: Any, key: str, sha: str) -> bool:
    try:
        return sha256_of(store.get(key)) == sha
    except Exception:
        return False


def run_doctor(settings: Settings) -> dict[str, Any]:
    """`canvass doctor --json` (hashes every blob); its report and exit code."""
    from bench.surge_setup import server_env

    done = subprocess.run(
        [sys.executable, "-m", "canvass", "doctor", "--json"],
        env=server_env(settings),
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(done.stdout) if done.stdout.strip() else None
    except ValueError:
        report = None
    if isinstance(report, dict) and isinstance(report.get("findings"), list):
        report["findings"] = report["findings"][:20]
    return {"exit_code": done.returncode, "report": report, "stderr": done.stderr.strip()[-500:]}
