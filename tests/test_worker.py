"""`canvass worker` processes with the real reader on the committed fixture photos: two on
PostgreSQL read each photo exactly once; SIGKILL of a worker (mid-read) and of intake
(mid-surge), then restarts, still leave every photo stored once and read once, and
`canvass doctor` clean. On SQLite one local worker, and a killed one is taken over."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlmodel import Session, col

from canvass.settings import REPO_ROOT, Settings
from canvass.store.db import open_engine
from canvass.store.tables import AuditRow, PhotoRow, ReadingRow
from tests.conftest import CANVASS, canvass_env

PHOTOS = REPO_ROOT / "fixtures" / "photos" / "small"
FIXTURES = sorted(PHOTOS.glob("photo-*.jpg"))
STALLED_SECONDS = 4


def worker_env(settings: Settings) -> dict[str, str]:
    return canvass_env(settings) | {"CANVASS_WORKER_STALLED_SECONDS": str(STALLED_SECONDS)}


class Worker:
    """One `canvass worker` process in its own session (so its spawned readers die with it)."""

    def __init__(self, env: dict[str, str], log: Path, *args: str) -> None:
        self.log = log
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                [CANVASS, "worker", "--concurrency", "1", *args],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=60)

    def photos(self) -> list[int]:
        """Photos this worker says it stored a reading of."""
        lines = self.log.read_text().splitlines()
        return [
            int(line.split()[1].rstrip(":"))
            for line in lines
            if line.startswith("photo ") and line.split()[-1] in ("read", "rejected", "failed")
        ]


@pytest.fixture
def pg_settings(postgres_url: str, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=postgres_url)


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for w in started:
        if w.proc.poll() is None:
            w.kill()


def init(settings: Settings) -> Engine:
    done = subprocess.run([CANVASS, "init"], env=canvass_env(settings), capture_output=True)
    assert done.returncode == 0, done.stderr
    return open_engine(settings)


def ingest(settings: Settings, files: list[Path]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [CANVASS, "ingest", *map(str, files), "--json"],
        env=canvass_env(settings),
        stdout=subprocess.DEVNULL,
    )


def count(engine: Engine, query: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(query)).scalar_one())


def wait_for(condition: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def all_read(engine: Engine, photos: int) -> bool:
    return count(engine, "SELECT count(*) FROM reading") >= photos and not count(
        engine, "SELECT count(*) FROM photo WHERE status = 'queued'"
    )


def assert_read_exactly_once(engine: Engine, photos: int) -> None:
    with Session(engine) as session:
        stored = session.execute(select(func.count()).select_from(PhotoRow)).scalar_one()
        readings = Counter(session.execute(select(col(ReadingRow.photo_id))).scalars())
        logged = Counter(
            session.execute(
                select(col(AuditRow.subject)).where(col(AuditRow.action) == "photo.read")
            ).scalars()
        )
    assert stored == photos
    assert len(readings) == photos and set(readings.values()) == {1}
    assert len(logged) == photos and set(logged.values()) == {1}


def doctor(settings: Settings) -> dict[str, object]:
    done = subprocess.run(
        [CANVASS, "doctor", "--json"], env=canvass_env(settings), capture_output=True
    )
    report: dict[str, object] = json.loads(done.stdout)
    assert done.returncode == 0, report
    return report


@pytest.mark.postgres
def test_two_workers_read_each_photo_exactly_once(
    pg_settings: Settings, tmp_path: Path, workers: list[Worker]
) -> None:
    engine = init(pg_settings)
    env = worker_env(pg_settings)
    workers += [Worker(env, tmp_path / f"worker-{i}.log") for i in range(2)]
    assert ingest(pg_settings, FIXTURES).wait(timeout=120) == 0
    wait_for(lambda: all_read(engine, len(FIXTURES)), 120, "both workers to read the batch")
    assert [w.stop() for w in workers] == [0, 0]
    assert_read_exactly_once(engine, len(FIXTURES))
    first, second = (w.photos() for w in workers)
    assert first and second, "both workers took part"
    assert not set(first) & set(second)
    assert sorted(first + second) == sorted(set(first + second))
    assert len(first) + len(second) == len(FIXTURES)
    states = count(engine, "SELECT count(*) FROM procrastinate.procrastinate_jobs")
    succeeded = count(
        engine, "SELECT count(*) FROM procrastinate.procrastinate_jobs WHERE status='succeeded'"
    )
    assert states == succeeded == len(FIXTURES)
    assert doctor(pg_settings)["ok"] is True


@pytest.mark.postgres
def test_sigkill_of_intake_and_of_a_worker_mid_read_loses_and_doubles_nothing(
    pg_settings: Settings, tmp_path: Path, workers: list[Worker]
) -> None:
    engine = init(pg_settings)
    env = worker_env(pg_settings)
    victim = Worker(env, tmp_path / "victim.log")
    workers += [victim, Worker(env, tmp_path / "other.log")]
    surge = ingest(pg_settings, FIXTURES)
    wait_for(lambda: count(engine, "SELECT count(*) FROM photo") >= 5, 60, "part of the surge")
    surge.send_signal(signal.SIGKILL)
    surge.wait(timeout=10)
    again = ingest(pg_settings, FIXTURES)  # the surge, sent again
    mine = f"%:{victim.proc.pid}:%"
    wait_for(
        lambda: count(engine, f"SELECT count(*) FROM photo WHERE claimed_by LIKE '{mine}'"),
        60,
        "the victim to be reading a photo",
    )
    victim.kill()
    workers.append(Worker(env, tmp_path / "restarted.log"))
    assert again.wait(timeout=120) == 0
    wait_for(lambda: all_read(engine, len(FIXTURES)), 120, "the batch to be read")
    assert [w.stop() for w in workers[1:]] == [0, 0]
    assert_read_exactly_once(engine, len(FIXTURES))
    left = count(
        engine,
        "SELECT count(*) FROM procrastinate.procrastinate_jobs WHERE status <> 'succeeded'",
    )
    assert left == 0, "the killed worker's job was run again and finished"
    report = doctor(pg_settings)
    assert report["photos"] == report["blobs"] == len(FIXTURES)


def test_sqlite_runs_one_local_worker_and_a_killed_one_is_taken_over(
    sqlite_settings: Settings, tmp_path: Path, workers: list[Worker]
) -> None:
    engine = init(sqlite_settings)
    photos = FIXTURES[:5]
    assert ingest(sqlite_settings, photos).wait(timeout=60) == 0
    env = worker_env(sqlite_settings)
    first = Worker(env, tmp_path / "first.log")
    workers.append(first)
    mine = f"%:{first.proc.pid}:%"
    wait_for(
        lambda: count(engine, f"SELECT count(*) FROM photo WHERE claimed_by LIKE '{mine}'"),
        60,
        "the worker to be reading a photo",
    )
    second = subprocess.run(
        [CANVASS, "worker", "--until-empty"], env=env, capture_output=True, text=True
    )
    assert second.returncode == 6
    assert "already reads photos" in second.stderr and "PostgreSQL" in second.stderr
    first.kill()
    restarted = subprocess.run(
        [CANVASS, "worker", "--until-empty", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert restarted.returncode == 0, restarted.stderr
    assert sum(json.loads(restarted.stdout).values()) + len(first.photos()) == len(photos)
    assert_read_exactly_once(engine, len(photos))
    assert doctor(sqlite_settings)["ok"] is True
    listed = subprocess.run(
        [CANVASS, "queue", "--json"], env=env, capture_output=True, text=True, check=True
    )  # nobody ran `canvass reconcile`: the worker reconciled what it read
    assert {i["kind"] for i in json.loads(listed.stdout)} >= {"missing_report"}
