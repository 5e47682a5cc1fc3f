"""The server killed mid-surge: every acknowledged photo is stored once and read once.

`canvass serve --no-reader` takes 48 concurrent uploads (small real worksheet photos, one
account each); once a third are acknowledged the server's process group gets SIGKILL, with
uploads in flight. It is restarted, the clients send again whatever was not acknowledged
(as phones do), then `canvass read-queued` reads. Checked directly in the database and the
blob store, then by `canvass doctor`: one photo row per digest with its bytes intact, every
acknowledged photo read exactly once, nothing left queued.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest
from sqlalchemy import func, select
from sqlmodel import col

from bench.http import Sent, error_kind, exchange, request_head, send_bytes
from bench.surge_setup import (
    free_port,
    prepare_data,
    server_env,
    start_server,
    stop_server,
)
from canvass.settings import REPO_ROOT, Settings
from canvass.store.db import open_engine
from canvass.store.tables import PhotoRow, ReadingRow
from ingest.blobs import open_blob_store, sha256_of

SMALL = REPO_ROOT / "fixtures" / "photos" / "small"
QUALITIES = (72, 84, 95)
KILL_AFTER = 16


@dataclass(frozen=True)
class Photo:
    data: bytes
    precinct: str | None
    sha256: str
    token: str


def distinct_photos(count: int) -> list[tuple[bytes, str | None]]:
    """Real worksheet photos, each re-encoded at a few qualities: distinct bytes each."""
    rows = [json.loads(line) for line in (SMALL / "manifest.jsonl").read_text().splitlines()]
    photos = []
    for quality in QUALITIES:
        for row in rows:
            image = np.asarray(cv2.imread(str(SMALL / row["photo"]), cv2.IMREAD_COLOR))
            ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
            assert ok
            photos.append((bytes(np.asarray(buffer).tobytes()), row["precinct"]))
    return photos[:count]


async def upload(port: int, photo: Photo) -> str | None:
    """One upload; the acknowledged digest, or None (with the failure) when not acked."""
    target = f"/api/photos?precinct={photo.precinct}" if photo.precinct else "/api/photos"
    head = request_head(
        "POST",
        target,
        {
            "Authorization": f"Bearer {photo.token}",
            "Content-Type": "image/jpeg",
            "Content-Length": str(len(photo.data)),
        },
    )
    try:
        reply = await exchange(port, head, send_bytes(photo.data, Sent()), timeout=30)
    except Exception as exc:
        return f"error: {error_kind(exc)}"
    body = reply.json() if reply.body else {}
    if reply.status == 202 and body.get("sha256") == photo.sha256:
        return "acked"
    return f"answered {reply.status}: {body}"


async def surge_then_kill(port: int, photos: list[Photo], pgid: int) -> list[str | None]:
    """All uploads within ~3 s; SIGKILL the server group once KILL_AFTER are acknowledged."""
    rng = random.Random(7)
    acked = 0
    killed = asyncio.Event()

    async def one(photo: Photo) -> str | None:
        nonlocal acked
        await asyncio.sleep(rng.uniform(0, 3.0))
        result = await upload(port, photo)
        if result == "acked":
            acked += 1
            if acked >= KILL_AFTER and not killed.is_set():
                killed.set()
                os.killpg(pgid, signal.SIGKILL)
        return result

    return list(await asyncio.gather(*(one(p) for p in photos)))


@pytest.mark.slow
def test_server_killed_mid_surge_loses_nothing_and_reads_once(
    database_settings: Settings, tmp_path: Path
) -> None:
    settings = database_settings
    raw = distinct_photos(48)
    names = [f"phone-{i:02d}" for i in range(len(raw))]
    tokens = prepare_data(settings, names)
    photos = [
        Photo(data, precinct, sha256_of(data), tokens[name])
        for (data, precinct), name in zip(raw, names, strict=True)
    ]
    port = free_port()
    log = (tmp_path / "server.log").open("wb")
    server = start_server(settings, port, log, ["--no-reader"])
    first = asyncio.run(surge_then_kill(port, photos, server.pid))
    server.wait(10)
    assert server.returncode == -signal.SIGKILL
    acked_before = {p.sha256 for p, r in zip(photos, first, strict=True) if r == "acked"}
    failures = Counter(r for r in first if r != "acked")
    assert len(acked_before) >= KILL_AFTER
    assert failures, "the kill came after every upload: nothing was interrupted"

    server = start_server(settings, port, log, ["--no-reader"])
    retry = [p for p, r in zip(photos, first, strict=True) if r != "acked"]
    second = asyncio.run(_all(port, retry))
    assert stop_server(server) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal
    log.close()
    assert second == ["acked"] * len(retry), Counter(second)

    reading = _canvass(settings, "read-queued", "--json")
    assert reading.returncode == 0, reading.stderr
    _check_stored_once_read_once(settings, {p.sha256 for p in photos})
    doctor = _canvass(settings, "doctor", "--json")
    report = json.loads(doctor.stdout)
    assert doctor.returncode == 0 and report["ok"], report
    assert report["photos"] == report["blobs"] == len(photos)


async def _all(port: int, photos: list[Photo]) -> list[str | None]:
    return list(await asyncio.gather(*(upload(port, p) for p in photos)))


def _check_stored_once_read_once(settings: Settings, acknowledged: set[str]) -> None:
    engine = open_engine(settings)
    store = open_blob_store(settings)
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                col(PhotoRow.id), col(PhotoRow.sha256), col(PhotoRow.blob_key), col(PhotoRow.status)
            )
        ).all()
        readings = Counter(pid for (pid,) in connection.execute(select(col(ReadingRow.photo_id))))
        per_sha = connection.execute(
            select(col(PhotoRow.sha256), func.count()).group_by(col(PhotoRow.sha256))
        ).all()
    engine.dispose()
    assert {sha for _, sha, _, _ in rows} == acknowledged
    assert all(n == 1 for _, n in per_sha)
    for photo_id, sha, key, status in rows:
        assert sha256_of(store.get(key)) == sha
        assert readings[photo_id] == 1, f"photo {photo_id} read {readings[photo_id]} times"
        assert status in ("read", "rejected")


def _canvass(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "canvass", *args],
        env=server_env(settings),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
