"""The database's guarantees behind the workers: a photo's reading job commits or rolls back
with the photo's row (PostgreSQL), and a claim lets one reader at a time read a photo
(both databases), taken over at once from a dead local process or after its lease."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, text

from canvass.settings import Settings
from canvass.store.db import alembic_config, migrate, open_engine, session_scope
from canvass.store.jobs import defer_read, job_counts, live_jobs_by_photo
from canvass.store.readings import (
    CLAIM_LEASE,
    claim_photo,
    new_claimant,
    queued_photos,
    release_claim,
)
from canvass.store.types import utcnow
from ingest.blobs import open_blob_store
from ingest.photos import Custody, intake_photo
from ingest.queue import read_stored_photo
from tests.support.images import jpeg
from tests.support.intake import make_intake
from tests.support.iowa import IOWA
from tests.support.readings import fake_reader

CUSTODY = Custody("chair", "test", "POLK-ANK-01")


def job_rows(engine: Engine) -> list[tuple[int, str, str]]:
    query = text(
        "SELECT (args->>'photo_id')::int, status::text, queueing_lock "
        "FROM procrastinate.procrastinate_jobs ORDER BY id"
    )
    with engine.connect() as conn:
        return [(int(p), s, lock) for p, s, lock in conn.execute(query)]


@pytest.mark.postgres
def test_storing_a_photo_defers_its_job_in_the_same_transaction(
    postgres_url: str, tmp_path: Path
) -> None:
    intake = make_intake(Settings(data_dir=tmp_path / "data", database_url=postgres_url))
    stored = intake_photo(intake, jpeg(seed=1), "a.jpg", CUSTODY)
    assert intake_photo(intake, jpeg(seed=1), "again.jpg", CUSTODY).status == "duplicate"
    assert job_rows(intake.engine) == [(stored.photo_id, "todo", f"photo-{stored.photo_id}")]
    with pytest.raises(RuntimeError), session_scope(intake.engine) as session:
        defer_read(session, 999)
        raise RuntimeError("the transaction fails after the defer")
    assert live_jobs_by_photo(intake.engine) == {stored.photo_id: "todo"}
    assert job_counts(intake.engine) == {"todo": 1}


def test_one_claim_at_a_time_and_a_dead_holder_is_taken_over(
    database_settings: Settings,
) -> None:
    intake = make_intake(database_settings)
    photo_id = intake_photo(intake, jpeg(seed=2), "b.jpg", CUSTODY).photo_id
    assert photo_id is not None
    engine, now = intake.engine, utcnow()
    alive, other = new_claimant(), new_claimant()
    assert claim_photo(engine, photo_id, alive, now) == "claimed"
    assert claim_photo(engine, photo_id, other, now) == "busy"
    assert claim_photo(engine, photo_id, other, now + CLAIM_LEASE + timedelta(1)) == "claimed"
    release_claim(engine, photo_id, other)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    ).stdout.strip()
    host = alive.split(":")[0]
    assert claim_photo(engine, photo_id, f"{host}:{dead}:gone", now) == "claimed"
    assert claim_photo(engine, photo_id, alive, now) == "claimed", "its pid no longer runs"
    assert claim_photo(engine, photo_id, f"elsewhere:{dead}:x", now) == "busy"


def test_a_photo_is_read_once_whoever_asks(database_settings: Settings) -> None:
    intake = make_intake(database_settings)
    photo_id = intake_photo(intake, jpeg(640, 300, seed=3), "c.jpg", CUSTODY).photo_id
    assert photo_id is not None
    engine, eid = intake.engine, intake.election.id
    blobs, crops = intake.blobs, open_blob_store(database_settings, "crops")
    holder = new_claimant()
    assert claim_photo(engine, photo_id, holder, utcnow()) == "claimed"
    assert read_stored_photo(engine, eid, photo_id, blobs, crops, fake_reader) == "busy"
    assert read_stored_photo(engine, eid, photo_id, blobs, crops, fake_reader, holder) == "read"
    assert read_stored_photo(engine, eid, photo_id, blobs, crops, fake_reader) == "done"
    assert read_stored_photo(engine, eid, 10_000, blobs, crops, fake_reader) == "done"
    assert crops.get(f"{photo_id}/attendees.png") == b"png-bytes"


def test_a_photo_whose_bytes_are_missing_goes_back_to_the_queue(
    database_settings: Settings,
) -> None:
    intake = make_intake(database_settings)
    stored = intake_photo(intake, jpeg(640, 300, seed=4), "d.jpg", CUSTODY)
    assert stored.photo_id is not None
    key = next(intake.blobs.list()).key
    intake.blobs.delete(key)
    crops = open_blob_store(database_settings, "crops")
    engine, eid = intake.engine, intake.election.id
    status = read_stored_photo(engine, eid, stored.photo_id, intake.blobs, crops, fake_reader)
    assert status == "unavailable"
    assert [p.id for p in queued_photos(engine, eid)] == [stored.photo_id]
    assert claim_photo(engine, stored.photo_id, new_claimant(), utcnow()) == "claimed"


@pytest.mark.postgres
def test_upgrading_gives_photos_stored_before_the_queue_their_jobs(
    postgres_url: str, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=postgres_url)
    engine = open_engine(settings)
    command.upgrade(alembic_config(engine), "0006")
    with engine.begin() as conn:  # the election as 0006 knew it (no form column yet)
        conn.execute(
            text(
                "INSERT INTO election (id, name, rule_set, content_sha256, loaded_at) "
                "VALUES (:e, 'Iowa 2020', 'iowa-dem-2020', :d, now())"
            ),
            {"e": IOWA.id, "d": "0" * 64},
        )
        conn.execute(
            text(
                "INSERT INTO photo (id, election_id, sha256, media_type, size_bytes, width, "
                "height, pages, blob_key, status, stored_at) VALUES (41, :e, :s, 'image/jpeg', "
                "1, 1, 1, 1, 'k', 'queued', now()), (42, :e, :t, 'image/jpeg', 1, 1, 1, 1, "
                "'k2', 'read', now())"
            ),
            {"e": IOWA.id, "s": "a" * 64, "t": "b" * 64},
        )
    migrate(engine)
    assert job_rows(engine) == [(41, "todo", "photo-41")]
