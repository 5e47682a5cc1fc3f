"""Reading the queue in parallel with a fake reader: every photo read exactly once."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session

from canvass.settings import Settings
from canvass.store.readings import photo_history, queued_photos, readings_in_force
from canvass.store.tables import ReadingRow
from ingest.photos import Custody, intake_photo
from ingest.queue import read_queued
from tests.support.images import jpeg
from tests.support.intake import make_intake
from tests.support.readings import fake_reader


def test_queue_is_read_once_in_parallel(database_settings: Settings) -> None:
    intake = make_intake(database_settings)
    custody = Custody("chair", "test", "POLK-ANK-01")
    widths = [640, 650, 800, 100, 666]
    for i, width in enumerate(widths):
        assert (
            intake_photo(intake, jpeg(width, 300, seed=i), f"{i}.jpg", custody).status == "stored"
        )
    engine, eid = intake.engine, intake.election.id
    seen: list[tuple[int, int]] = []
    summary = read_queued(
        engine,
        eid,
        database_settings.photos_dir,
        database_settings.data_dir / "crops",
        fake_reader,
        workers=2,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert summary.as_json() == {"read": 3, "rejected": 1, "failed": 1}
    assert seen[-1] == (5, 5)
    assert queued_photos(engine, eid) == []
    again = read_queued(
        engine, eid, database_settings.photos_dir, database_settings.data_dir, fake_reader
    )
    assert again.as_json() == {"read": 0, "rejected": 0, "failed": 0}
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(ReadingRow)).scalar_one() == 5
    in_force = readings_in_force(engine, eid)
    assert set(in_force) == {"POLK-ANK-01", "POLK-ANK-02"}
    # two accepted photos of POLK-ANK-01: the later reading is in force
    assert in_force["POLK-ANK-01"].reading.fields["attendees"].value == 650
    assert in_force["POLK-ANK-02"].declared_precinct == "POLK-ANK-01"
    crops = database_settings.data_dir / "crops" / str(in_force["POLK-ANK-02"].photo_id)
    assert (crops / "attendees.png").read_bytes() == b"png-bytes"


def test_a_precincts_photo_history_shows_every_photo_and_the_one_in_force(
    sqlite_settings: Settings,
) -> None:
    intake = make_intake(sqlite_settings)
    custody = Custody("chair", "test", "POLK-ANK-01")
    for i, width in enumerate([640, 650, 100]):
        intake_photo(intake, jpeg(width, 300, seed=40 + i), f"retake-{i}.jpg", custody)
    intake_photo(intake, jpeg(640, 300, seed=40), "same-again.jpg", Custody("secretary", "t", None))
    engine, eid = intake.engine, intake.election.id
    read_queued(engine, eid, sqlite_settings.photos_dir, sqlite_settings.data_dir, fake_reader, 1)
    history = photo_history(engine, eid, "POLK-ANK-01")
    assert [h.status for h in history] == ["read", "read", "rejected"]
    assert [h.in_force for h in history] == [False, True, False]
    assert len(history[0].uploads) == 2 and "secretary" in history[0].uploads[1]
