"""Everything the surge needs before the first byte: the photos, the accounts and tokens,
the server process, and the watch over its CPU.

Photos: the generator's 8-12 MP JPEGs are 0.7-1.3 MB (quality 60-95 of a smooth scene);
phones send 3-5 MB. Each photo is re-encoded at quality 100 without chroma subsampling and,
while still under 3 MB, with mild sensor-like noise added (as a phone in poor light has) --
still the same worksheet, still readable. Cached beside the generator's set.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import IO

import cv2
import numpy as np
from numpy.typing import NDArray
from sqlalchemy import insert

from bench.common import MANIFEST, STATE_UNITS, PhotoEntry, photo_set, read_manifest
from canvass.errors import StorageError
from canvass.settings import Settings
from ingest.blobs import sha256_of

MIN_BYTES, MAX_BYTES = 3_000_000, 5_000_000
PASSWORD = "surge-bench-password"


def surge_photos(root: Path, count: int, seed: int) -> list[PhotoEntry]:
    """`count` distinct 3-5 MB worksheet photos (made once, then reused)."""
    full = root / f"surge-seed{seed}-all"
    if (full / MANIFEST).exists():
        return read_manifest(full)[:count]
    folder = full if count >= STATE_UNITS else root / f"surge-seed{seed}-n{count}"
    if not (folder / MANIFEST).exists():
        _reencode_set(photo_set(root, count, seed), folder, seed)
    return read_manifest(folder)


def _reencode_set(sources: list[PhotoEntry], folder: Path, seed: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    jobs = [(p.path, folder / p.path.name, seed * 100_003 + i) for i, p in enumerate(sources)]
    workers = os.cpu_count() or 1
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        digests = list(pool.map(_reencode_one, jobs, chunksize=8))
    with (folder / MANIFEST).open("w", encoding="utf-8") as f:
        for source, digest in zip(sources, digests, strict=True):
            row = {"photo": source.path.name, "precinct": source.precinct, "sha256": digest}
            f.write(json.dumps(row) + "\n")


def _reencode_one(job: tuple[Path, Path, int]) -> str:
    """Runs in a worker: re-encode one photo to 3-5 MB; returns its SHA-256."""
    cv2.setNumThreads(1)
    source, target, seed = job
    image = np.asarray(cv2.imread(str(source), cv2.IMREAD_COLOR), np.uint8)
    rng = np.random.default_rng(seed)
    data, noisy = b"", image
    for sigma in (0.0, 1.5, 3.0, 4.5, 6.0):
        if sigma:
            noise = rng.normal(0.0, sigma, image.shape)
            noisy = np.clip(image.astype(np.float32) + noise, 0, 255).astype(np.uint8)
        data = _encode(noisy, 100)
        if len(data) >= MIN_BYTES:
            break
    quality = 99
    while len(data) > MAX_BYTES and quality >= 85:
        data = _encode(noisy, quality)
        quality -= 2
    target.write_bytes(data)
    return sha256_of(data)


def _encode(image: NDArray[np.uint8], quality: int) -> bytes:
    params = [cv2.IMWRITE_JPEG_QUALITY, quality, cv2.IMWRITE_JPEG_SAMPLING_FACTOR, 0x111111]
    ok, buffer = cv2.imencode(".jpg", image, params)
    if not ok:
        raise StorageError("OpenCV could not encode a surge photo")
    return bytes(buffer.tobytes())


def prepare_data(settings: Settings, usernames: list[str]) -> dict[str, str]:
    """A fresh database with Iowa 2020 and one uploader account per name (rows written
    directly, all with one argon2 hash: hashing 4,000 passwords would take minutes);
    returns each name's API token."""
    from canvass.elections.iowa2020 import build_iowa2020
    from canvass.store.accounts import hash_password
    from canvass.store.db import migrate, open_engine
    from canvass.store.elections import save_election
    from canvass.store.tables import AccountRow
    from canvass.store.types import utcnow
    from canvass.web.auth import load_secret_key, mint_token

    engine = open_engine(settings)
    migrate(engine)
    save_election(engine, build_iowa2020(settings.fixtures_dir / "iowa2020"))
    shared = hash_password(PASSWORD)
    now = utcnow()
    rows = [
        {
            "username": name,
            "display_name": name,
            "role": "uploader",
            "password_hash": shared,
            "active": True,
            "created_at": now,
        }
        for name in usernames
    ]
    with engine.begin() as connection:
        connection.execute(insert(AccountRow), rows)
    engine.dispose()
    secret = load_secret_key(settings)
    return {name: mint_token(secret, name) for name in usernames}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(settings: Settings, overrides: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a `canvass` subprocess needs to use `settings` (plus `overrides`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANVASS_")}
    env.update(overrides or {})
    env["CANVASS_DATA_DIR"] = str(settings.data_dir)
    if settings.database_url:
        env["CANVASS_DATABASE_URL"] = settings.database_url
    return env


def start_server(
    settings: Settings,
    port: int,
    log: IO[bytes],
    extra: list[str] | None = None,
    overrides: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """`canvass serve` on loopback, in its own process group; returns once it answers."""
    command = [sys.executable, "-m", "canvass", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), *(extra or [])]
    process = subprocess.Popen(
        command,
        env=server_env(settings, overrides),
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    wait_until_answering(port, process)
    return process


def wait_until_answering(port: int, process: subprocess.Popen[bytes], limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StorageError(f"canvass serve exited with {process.returncode}; see its log")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"GET /api/photos/0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if sock.recv(16).startswith(b"HTTP/1.1"):
                    return
        except OSError:
            time.sleep(0.2)
    raise StorageError(f"canvass serve did not answer on port {port} within {limit:.0f} s")


def stop_server(process: subprocess.Popen[bytes], grace: float = 30) -> int:
    """SIGTERM (graceful), then SIGKILL of the whole group if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
    return process.returncode


class CpuWatch:
    """Samples the CPU seconds used by a process and every descendant (the embedded reader
    included), from /proc, so the time of children that are still running counts."""

    def __init__(self, root_pid: int, every: float = 0.5) -> None:
        self.root_pid = root_pid
        self.every = every
        self.samples: list[tuple[float, float]] = []
        self._by_pid: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._tick = os.sysconf("SC_CLK_TCK")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def cpu_between(self, start: float, end: float) -> float:
        """CPU seconds used between two `time.monotonic()` instants (nearest samples)."""
        return _at(self.samples, end) - _at(self.samples, start)

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid in _tree(self.root_pid):
                seconds = _cpu_seconds(pid, self._tick)
                if seconds is not None:
                    self._by_pid[pid] = max(seconds, self._by_pid.get(pid, 0.0))
            self.samples.append((time.monotonic(), sum(self._by_pid.values())))
            self._stop.wait(self.every)


def _at(samples: list[tuple[float, float]], when: float) -> float:
    before = [cpu for at, cpu in samples if at <= when]
    return before[-1] if before else 0.0


def _tree(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat_fields(int(entry))
            if stat:
                parents[int(entry)] = int(stat[1])
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        tree += frontier
    return tree


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name: state, ppid, ..."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def _cpu_seconds(pid: int, tick: int) -> float | None:
    fields = _stat_fields(pid)
    if not fields:
        return None
    return (int(fields[11]) + int(fields[12])) / tick  # utime, stime


def peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None
