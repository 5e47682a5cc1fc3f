"""Reading stored photos: one (`read_stored_photo`) or every queued one (`read_queued`).

Every reader in canvass goes through `read_stored_photo`: `canvass read-queued`, the web
server's reader, the local `canvass worker` and the procrastinate workers on many
machines. It claims the photo in the database, reads it, writes the crops, and stores the
reading and marks the photo read in one transaction; the database makes the reading
happen once (see `canvass/store/readings.py`), so any number of them may run at once.

The reader is any picklable function `bytes -> ReadOutcome` (the real one is
`ocr.read.PhotoReader`). With a process pool the photo is fetched and read in a worker
process, which loads its model once; pools are spawned, not forked: forking a process
whose OpenCV or BLAS thread pools are running can deadlock the child.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Literal

from sqlalchemy import Engine

from canvass.errors import StorageError
from canvass.model import ReadOutcome, SheetReading
from canvass.progress import ProgressCallback
from canvass.store.readings import (
    claim_photo,
    new_claimant,
    queued_photos,
    record_reading,
    release_claim,
    stored_photo,
)
from canvass.store.types import utcnow
from ingest.blobs import BlobStore, as_blob_store

Reader = Callable[[bytes], ReadOutcome]
# read / rejected / failed: stored now. done: read already (or no such photo). busy:
# another live reader holds it. unavailable: its bytes could not be fetched (left queued).
ReadStatus = Literal["read", "rejected", "failed", "done", "busy", "unavailable"]
ResultCallback = Callable[[int, ReadStatus], None]


@dataclass(frozen=True)
class ReadSummary:
    read: int
    rejected: int
    failed: int

    def as_json(self) -> dict[str, int]:
        return {"read": self.read, "rejected": self.rejected, "failed": self.failed}


def read_stored_photo(
    engine: Engine,
    election_id: str,
    photo_id: int,
    blobs: BlobStore,
    crops: BlobStore,
    reader: Reader,
    claimant: str | None = None,
    executor: Executor | None = None,
) -> ReadStatus:
    """Read one stored photo and record its reading, unless someone else does or did.

    `executor` (a spawned process pool) runs the fetch and the reader; without it they run
    here. A photo whose bytes cannot be fetched is given back to the queue unread.
    """
    claimant = claimant or new_claimant()
    photo = stored_photo(engine, photo_id)
    if photo is None:
        return "done"
    claim = claim_photo(engine, photo_id, claimant, utcnow())
    if claim != "claimed":
        return claim
    try:
        if executor is None:
            outcome, failed = fetch_and_read(blobs, photo.blob_key, reader)
        else:
            outcome, failed = executor.submit(
                fetch_and_read, blobs, photo.blob_key, reader
            ).result()
    except StorageError:
        release_claim(engine, photo_id, claimant)
        return "unavailable"
    except BaseException:
        release_claim(engine, photo_id, claimant)
        raise
    crops_dir = _write_crops(crops, photo_id, outcome.crops)
    status = "failed" if failed else outcome.reading.status
    stored = record_reading(
        engine, photo_id, election_id, outcome.reading, crops_dir, utcnow(), failed
    )
    return status if stored else "done"


def fetch_and_read(blobs: BlobStore, key: str, reader: Reader) -> tuple[ReadOutcome, bool]:
    """(outcome, the reader failed). Raises StorageError only when the bytes cannot be had;
    a reader bug becomes a `failed` outcome, so one bad photo cannot stop a batch."""
    data = blobs.get(key)
    try:
        return reader(data), False
    except Exception as exc:  # a reader bug must not lose the batch: record it as failed
        detail = "".join(traceback.format_exception_only(exc)).strip()
        reading = SheetReading(
            status="rejected", reason=f"the reader failed on this photo ({detail}); report it"
        )
        return ReadOutcome(reading, {}), True


def read_queued(
    engine: Engine,
    election_id: str,
    photos_root: Path | BlobStore,
    crops_root: Path | BlobStore,
    reader: Reader,
    workers: int | None = None,
    progress: ProgressCallback | None = None,
) -> ReadSummary:
    """Read every queued photo; `workers=1` reads in this process (no pool).

    `photos_root` and `crops_root` are the stores (`open_blob_store(settings)` and
    `open_blob_store(settings, "crops")`); a directory is taken as a local store.
    """
    ids = [p.id for p in queued_photos(engine, election_id)]
    return read_photos(
        engine,
        election_id,
        ids,
        as_blob_store(photos_root),
        as_blob_store(crops_root),
        reader,
        workers or os.cpu_count() or 1,
        progress,
    )


def read_photos(
    engine: Engine,
    election_id: str,
    photo_ids: Iterable[int],
    blobs: BlobStore,
    crops: BlobStore,
    reader: Reader,
    workers: int,
    progress: ProgressCallback | None = None,
    stop: threading.Event | None = None,
    pool: Executor | None = None,
    on_result: ResultCallback | None = None,
) -> ReadSummary:
    """Read the given photos, `workers` at a time, in `pool` (else a pool made for this
    batch, or none for one worker); a set `stop` ends the batch early (photos not begun
    stay queued). Photos read or held by others are not counted."""
    ids = list(photo_ids)
    claimant = new_claimant()
    tally = _Tally(len(ids), progress, on_result)

    def one(photo_id: int, executor: Executor | None) -> tuple[int, ReadStatus]:
        if stop is not None and stop.is_set():
            return photo_id, "busy"
        status = read_stored_photo(
            engine, election_id, photo_id, blobs, crops, reader, claimant, executor
        )
        return photo_id, status

    if pool is None and (workers == 1 or len(ids) <= 1):
        for photo_id in ids:
            tally.add(*one(photo_id, None))
        return tally.summary()
    with contextlib.ExitStack() as stack:
        if pool is None:
            pool = stack.enter_context(reader_pool(workers))
        # Twice as many threads as readers: while one thread stores a reading (the crops'
        # syncs, the database) the next photo is already being read, so no reader waits.
        threads = stack.enter_context(ThreadPoolExecutor(max_workers=2 * workers))
        for future in as_completed([threads.submit(one, i, pool) for i in ids]):
            tally.add(*future.result())
    return tally.summary()


STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def reader_pool(workers: int) -> ProcessPoolExecutor:
    """`workers` spawned reader processes, one core each (a reader's numpy and OpenCV thread
    pools would otherwise fight the other readers for the cores), all started now.

    Ctrl-C and SIGTERM (a terminal or systemd signal the whole process group) are left to
    the parent, which finishes the photos in hand and then closes the pool: the readers are
    started with those signals blocked, and ignore them from their first instruction.
    """
    pool = ProcessPoolExecutor(
        workers, mp_context=get_context("spawn"), initializer=_start_reader_process
    )
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        for started in [pool.submit(os.getpid) for _ in range(workers)]:
            started.result()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    return pool


def _start_reader_process() -> None:
    """Runs first in each reader process, before the reader loads numpy or OpenCV."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    hold_to_one_core()


def hold_to_one_core() -> None:
    """Keep this reader process's numerical libraries to one thread each.

    One reader runs per core, so a library's own threads only take cores from the other
    readers and the server, and spin while they wait: with numpy's BLAS at two threads a
    photo cost 331 ms of CPU instead of 113 (measured on one core, 19 state photos). The
    environment variables are read when a library loads, which may already have happened
    in a spawned process (it imports the parent's main module and the target's module
    first), so threadpoolctl also limits the libraries already loaded.
    """
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    import cv2
    from threadpoolctl import threadpool_limits

    cv2.setNumThreads(1)
    threadpool_limits(1)


class _Tally:
    def __init__(
        self, total: int, progress: ProgressCallback | None, on_result: ResultCallback | None
    ) -> None:
        self.total = total
        self.progress = progress
        self.on_result = on_result
        self.done = 0
        self.counts = {"read": 0, "rejected": 0, "failed": 0}

    def add(self, photo_id: int, status: ReadStatus) -> None:
        self.done += 1
        if self.on_result:
            self.on_result(photo_id, status)
        if status in ("read", "rejected", "failed"):
            self.counts[status] += 1
        elif status == "unavailable":
            self.counts["failed"] += 1
        if self.progress:
            self.progress(self.done, self.total)

    def summary(self) -> ReadSummary:
        return ReadSummary(**self.counts)


def _write_crops(crops: BlobStore, photo_id: int, images: dict[str, bytes]) -> str | None:
    """Crops for reviewers, written before the reading row that points at them; the
    reading's `crops_dir` is the key prefix (`<photo id>`) in the crops store."""
    if not images:
        return None
    crops.write_many({f"{photo_id}/{name}": data for name, data in images.items()})
    return str(photo_id)
