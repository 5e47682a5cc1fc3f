"""`canvass worker`: reading as a long-running service, on one machine or many.

On PostgreSQL a worker is a procrastinate worker on the `reading` queue: each stored photo
has a `canvass.read_photo` job (deferred in the photo's own transaction, see
`canvass/store/jobs.py`), any number of workers on any number of machines take jobs, and
each job reads its photo through `ingest.queue.read_stored_photo` in a spawned process
pool of `concurrency` readers. A worker killed with SIGKILL stops sending heartbeats;
after `worker_stalled_seconds` any worker (a restarted one at start-up, the others every
half of that) puts its running jobs back in the queue. The database's claim and unique
reading keep a photo read once whatever is retried.

On SQLite (one machine) the worker polls the photo table instead; only one may run per
data directory, because SQLite has one writer and the claims already spread the work over
the machine's cores.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import re
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from canvass.errors import CanvassError, ConflictError, StorageError
from canvass.settings import Settings
from canvass.store.jobs import QUEUE, SCHEMA, TASK, uses_job_queue
from canvass.store.readings import new_claimant, queued_photos
from ingest.blobs import BlobStore, open_blob_store
from ingest.queue import (
    Reader,
    ReadStatus,
    ReadSummary,
    ResultCallback,
    read_photos,
    reader_pool,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerConfig:
    concurrency: int
    until_empty: bool = False  # stop once nothing is left to read (benchmarks, batch runs)
    poll_seconds: float = 2.0  # SQLite: how often an idle worker looks for new photos


@dataclass(frozen=True)
class ReadingJob:
    """What one worker needs to read a photo."""

    engine: Engine
    election_id: str
    blobs: BlobStore
    crops: BlobStore
    reader: Reader


class PhotoBusy(Exception):
    """Another live reader holds the photo's claim (or ours died): the job is retried later."""


READER_DIED = (
    "a reader process died (out of memory?): the worker stopped and its photos go back to "
    "the queue; restart it (systemd: Restart=always)"
)


def run_worker(
    settings: Settings,
    engine: Engine,
    election_id: str,
    reader: Reader,
    config: WorkerConfig,
    on_result: ResultCallback | None = None,
) -> ReadSummary:
    """Run until SIGTERM/SIGINT (or, with `until_empty`, until nothing is left)."""
    job = ReadingJob(
        engine, election_id, open_blob_store(settings), open_blob_store(settings, "crops"), reader
    )
    if uses_job_queue(engine):
        return run_queue_worker(settings, job, config, on_result)
    return run_local_worker(settings.data_dir, job, config, on_result)


def run_local_worker(
    data_dir: Path, job: ReadingJob, config: WorkerConfig, on_result: ResultCallback | None
) -> ReadSummary:
    """Poll the photo table and read what is queued (SQLite: one worker per data dir)."""
    totals = {"read": 0, "rejected": 0, "failed": 0}
    stop = threading.Event()
    with (
        single_worker_lock(data_dir / "worker.lock"),
        _stop_on_signals(stop),
        _reader_pool(config.concurrency) as pool,
    ):
        while not stop.is_set():
            ids = [p.id for p in queued_photos(job.engine, job.election_id)]
            if not ids and config.until_empty:
                break
            if not ids:
                stop.wait(config.poll_seconds)
                continue
            try:
                summary = read_photos(
                    job.engine,
                    job.election_id,
                    ids,
                    job.blobs,
                    job.crops,
                    job.reader,
                    config.concurrency,
                    stop=stop,
                    pool=pool,
                    on_result=on_result,
                )
            except BrokenProcessPool as exc:
                raise CanvassError(READER_DIED) from exc
            for key, value in summary.as_json().items():
                totals[key] += value
            if not any(summary.as_json().values()):
                stop.wait(config.poll_seconds)  # all held by others or unavailable
    return ReadSummary(**totals)


@contextlib.contextmanager
def single_worker_lock(path: Path) -> Iterator[None]:
    """Refuse a second local worker on the same data directory (released even on SIGKILL:
    the kernel drops a dead process's locks)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            f.seek(0)
            holder = f.read().strip() or "unknown"
            raise ConflictError(
                f"a canvass worker (pid {holder}) already reads photos from {path.parent}: "
                "on SQLite one worker per machine reads on all its cores. To read on many "
                "machines, use PostgreSQL (CANVASS_DATABASE_URL) and start one per machine"
            ) from exc
        f.seek(0)
        f.truncate()
        f.write(str(os.getpid()))
        f.flush()
        yield


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM/SIGINT: finish the photos being read, start no more."""
    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    for sig in previous:
        signal.signal(sig, lambda _signum, _frame: stop.set())
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def _reader_pool(concurrency: int) -> Iterator[ProcessPoolExecutor]:
    """Spawned reader processes, one core each (each loads the digit model once)."""
    with reader_pool(concurrency) as pool:
        yield pool


def run_queue_worker(
    settings: Settings, job: ReadingJob, config: WorkerConfig, on_result: ResultCallback | None
) -> ReadSummary:
    """A procrastinate worker on the reading queue (PostgreSQL)."""
    import procrastinate

    assert settings.database_url is not None
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(
            conninfo=libpq_url(settings.database_url),
            kwargs={"options": f"-c search_path={SCHEMA}"},
        )
    )
    totals = {"read": 0, "rejected": 0, "failed": 0}
    claimant = new_claimant()
    broken = threading.Event()
    with _reader_pool(config.concurrency) as pool:

        def read(photo_id: int) -> ReadStatus:
            try:
                status = _read_one(job, photo_id, claimant, pool)
            except BrokenProcessPool as exc:
                broken.set()
                os.kill(os.getpid(), signal.SIGTERM)  # procrastinate stops gracefully
                raise PhotoBusy(READER_DIED) from exc
            if status in totals:
                totals[status] += 1
            if on_result:
                on_result(photo_id, status)
            return status

        _register_task(app, read)
        asyncio.run(_serve(app, config, settings.worker_stalled_seconds, claimant))
    if broken.is_set():
        raise CanvassError(READER_DIED)
    return ReadSummary(**totals)


def _read_one(job: ReadingJob, photo_id: int, claimant: str, pool: Executor) -> ReadStatus:
    from ingest.queue import read_stored_photo

    return read_stored_photo(
        job.engine, job.election_id, photo_id, job.blobs, job.crops, job.reader, claimant, pool
    )


def _register_task(app: Any, read: Any) -> None:
    """The `canvass.read_photo` task: busy or unavailable photos are retried later (a
    busy claim lapses within the lease; a missing blob waits for `canvass doctor`)."""
    from procrastinate import RetryStrategy

    retry = RetryStrategy(max_attempts=30, wait=10, retry_exceptions={PhotoBusy, StorageError})

    @app.task(name=TASK, queue=QUEUE, retry=retry)
    async def read_photo(photo_id: int) -> str:
        status: ReadStatus = await asyncio.to_thread(read, photo_id)
        if status == "busy":
            raise PhotoBusy(f"photo {photo_id} is being read by another worker")
        if status == "unavailable":
            raise StorageError(f"photo {photo_id}'s bytes cannot be fetched: run `canvass doctor`")
        return status


async def _serve(app: Any, config: WorkerConfig, stalled_seconds: float, name: str) -> None:
    asyncio.get_running_loop().set_default_executor(
        ThreadPoolExecutor(max_workers=config.concurrency + 2)
    )
    async with app.open_async():
        await recover_stalled_jobs(app, stalled_seconds)
        recovery = asyncio.create_task(_keep_recovering(app, stalled_seconds))
        try:
            await app.run_worker_async(
                queues=[QUEUE],
                name=name,
                concurrency=config.concurrency,
                wait=not config.until_empty,
                update_heartbeat_interval=max(1.0, stalled_seconds / 4),
                stalled_worker_timeout=stalled_seconds,
                fetch_job_polling_interval=max(1.0, stalled_seconds / 4),
            )
        finally:
            recovery.cancel()


async def recover_stalled_jobs(app: Any, stalled_seconds: float) -> int:
    """Put back in the queue the reading jobs of workers silent for `stalled_seconds`
    (killed, or their machine lost); returns how many."""
    stalled = await app.job_manager.get_stalled_jobs(
        task_name=TASK, seconds_since_heartbeat=stalled_seconds
    )
    count = 0
    for stalled_job in stalled:
        try:
            await app.job_manager.retry_job(stalled_job)
            count += 1
        except Exception as exc:  # finished or retried by another worker meanwhile
            log.info("job %s was not retried: %s", stalled_job.id, exc)
    if count:
        log.warning("put %d reading job(s) of a stalled worker back in the queue", count)
    return count


async def _keep_recovering(app: Any, stalled_seconds: float) -> None:
    while True:
        await asyncio.sleep(stalled_seconds / 2)
        try:
            await recover_stalled_jobs(app, stalled_seconds)
        except Exception as exc:  # the database blinked: try again next round
            log.warning("could not look for stalled reading jobs: %s", exc)


def libpq_url(url: str) -> str:
    """`postgresql+psycopg://...` (SQLAlchemy) -> `postgresql://...` (libpq)."""
    return re.sub(r"^postgres(?:ql)?(?:\+\w+)?://", "postgresql://", url)
