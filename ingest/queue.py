"""Reading the queue: every stored photo not yet read, in parallel on all cores.

The reader is any picklable function `bytes -> ReadOutcome` (the real one is
`ocr.read.PhotoReader`); each worker process loads its model once. Workers are spawned,
not forked: forking a process whose OpenCV or BLAS thread pools are running can deadlock
the child. The parent process is the
only writer: it stores each reading and marks its photo read in one transaction, so a
kill at any point leaves every photo either read once or still queued, never both.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from sqlalchemy import Engine

from canvass.model import ReadOutcome, SheetReading
from canvass.store.readings import QueuedPhoto, queued_photos, record_reading
from canvass.store.types import utcnow
from ingest.blobs import LocalBlobStore

Reader = Callable[[bytes], ReadOutcome]
ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class ReadSummary:
    read: int
    rejected: int
    failed: int

    def as_json(self) -> dict[str, int]:
        return {"read": self.read, "rejected": self.rejected, "failed": self.failed}


def read_queued(
    engine: Engine,
    election_id: str,
    photos_root: Path,
    crops_root: Path,
    reader: Reader,
    workers: int | None = None,
    progress: ProgressCallback | None = None,
) -> ReadSummary:
    """Read every queued photo; `workers=1` reads in this process (no pool)."""
    queue = queued_photos(engine, election_id)
    workers = workers or os.cpu_count() or 1
    counts = {"read": 0, "rejected": 0, "failed": 0}
    if workers == 1 or len(queue) <= 1:
        outcomes = (_read_one(photos_root, p, reader) for p in queue)
        for done, (photo, outcome, failed) in enumerate(outcomes, start=1):
            _store(engine, election_id, crops_root, photo, outcome, failed, counts)
            _report(progress, done, len(queue))
        return ReadSummary(**counts)
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        futures: list[Future[tuple[QueuedPhoto, ReadOutcome, bool]]] = [
            pool.submit(_read_one, photos_root, p, reader) for p in queue
        ]
        for done, future in enumerate(futures, start=1):
            photo, outcome, failed = future.result()
            _store(engine, election_id, crops_root, photo, outcome, failed, counts)
            _report(progress, done, len(queue))
    return ReadSummary(**counts)


def _read_one(
    photos_root: Path, photo: QueuedPhoto, reader: Reader
) -> tuple[QueuedPhoto, ReadOutcome, bool]:
    """Runs in a worker: never raises, so one bad photo cannot stop a batch."""
    try:
        data = LocalBlobStore(photos_root).get(photo.blob_key)
        return photo, reader(data), False
    except Exception as exc:  # a reader bug must not lose the batch: record it as failed
        detail = "".join(traceback.format_exception_only(exc)).strip()
        reading = SheetReading(
            status="rejected", reason=f"the reader failed on this photo ({detail}); report it"
        )
        return photo, ReadOutcome(reading, {}), True


def _store(
    engine: Engine,
    election_id: str,
    crops_root: Path,
    photo: QueuedPhoto,
    outcome: ReadOutcome,
    failed: bool,
    counts: dict[str, int],
) -> None:
    crops_dir = _write_crops(crops_root, photo.id, outcome.crops)
    if record_reading(engine, photo.id, election_id, outcome.reading, crops_dir, utcnow(), failed):
        counts["failed" if failed else outcome.reading.status] += 1


def _write_crops(crops_root: Path, photo_id: int, crops: dict[str, bytes]) -> str | None:
    """Crops for reviewers, written before the reading row that points at them."""
    if not crops:
        return None
    folder = crops_root / str(photo_id)
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in crops.items():
        tmp = folder / f".{name}.tmp"
        tmp.write_bytes(data)
        tmp.replace(folder / name)
    return str(photo_id)


def _report(progress: ProgressCallback | None, done: int, total: int) -> None:
    if progress:
        progress(done, total)
