"""The readers embedded in `canvass serve`: several processes read the queue behind the
uploads, no photo is read twice, and the one that reconciles also reconciles the photos
the others read (they share a counter of finished photos). Real photos, the real reader,
spawned processes, SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from canvass.settings import Settings
from canvass.store.readings import queued_photos
from canvass.store.tables import AuditRow, ReadingRow
from canvass.web.reader import BackgroundReader, ReaderConfig
from ingest.photos import Custody, intake_photo
from tests.support.intake import make_intake

PHOTOS = Path(__file__).resolve().parents[1] / "fixtures" / "photos" / "small"
WAIT_SECONDS = 120


@pytest.mark.slow
def test_two_reader_processes_read_every_photo_once_and_reconcile_them_all(
    database_settings: Settings,
) -> None:
    intake = make_intake(database_settings)
    photos = sorted(PHOTOS.glob("photo-*.jpg"))[:6]
    for path in photos:
        stored = intake_photo(intake, path.read_bytes(), path.name, Custody("chair", "test", None))
        assert stored.status == "stored"
    engine, election = intake.engine, intake.election.id
    readers = BackgroundReader(
        database_settings, ReaderConfig(idle_seconds=0.1, reconcile_seconds=0.2, processes=2)
    )
    readers.start()
    try:
        assert _until(
            lambda: not queued_photos(engine, election) and _reconciled_after_reads(engine),
            lambda: readers.alive,
        )
    finally:
        readers.stop()
    assert not readers.alive
    with Session(engine) as session:
        per_photo = session.execute(
            select(col(ReadingRow.photo_id), func.count()).group_by(col(ReadingRow.photo_id))
        ).all()
    assert len(per_photo) == len(photos)
    assert {count for _, count in per_photo} == {1}


def _reconciled_after_reads(engine: Engine) -> bool:
    """A reconciliation ran after the last photo was read (whoever read it)."""
    with Session(engine) as session:
        last_read = session.execute(select(func.max(col(ReadingRow.read_at)))).scalar_one()
        last_run = session.execute(
            select(func.max(col(AuditRow.at))).where(col(AuditRow.action) == "reconcile.run")
        ).scalar_one()
    return last_read is not None and last_run is not None and last_run >= last_read


def _until(condition: Callable[[], bool], alive: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        assert alive(), "a reader process died"
        if condition():
            return True
        time.sleep(0.2)
    return False
