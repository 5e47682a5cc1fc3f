"""`canvass doctor` on both databases: it finds a missing blob, a corrupted blob, an orphan,
a status without a reading and (PostgreSQL) a queued photo with no job, says what to do,
exits 7, and `--repair` fixes what is safe to fix."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from canvass.settings import Settings
from canvass.store.types import utcnow
from ingest.blobs import LocalBlobStore, content_key, sha256_of
from ingest.doctor import examine
from ingest.photos import Custody, intake_photo
from tests.conftest import CANVASS, canvass_env
from tests.support.images import jpeg
from tests.support.intake import make_intake

CUSTODY = Custody("chair", "test", "POLK-ANK-01")


def run_doctor(settings: Settings, *args: str) -> tuple[int, dict[str, Any], str]:
    done = subprocess.run(
        [CANVASS, "doctor", "--json", *args],
        env=canvass_env(settings),
        capture_output=True,
        text=True,
    )
    return done.returncode, json.loads(done.stdout), done.stderr


def test_a_clean_store_passes_and_every_kind_of_damage_is_found(
    database_settings: Settings,
) -> None:
    intake = make_intake(database_settings)
    photos = [intake_photo(intake, jpeg(seed=10 + i), f"{i}.jpg", CUSTODY) for i in range(4)]
    code, report, _ = run_doctor(database_settings)
    assert code == 0 and report["ok"] is True and report["findings"] == []
    store = intake.blobs
    assert isinstance(store, LocalBlobStore)
    missing, corrupt, marked = photos[0], photos[1], photos[2]
    store.delete(content_key(str(missing.sha256), "jpg"))
    corrupt_path = store.root / content_key(str(corrupt.sha256), "jpg")
    os.chmod(corrupt_path, 0o644)
    corrupt_path.write_bytes(corrupt_path.read_bytes()[:-100] + b"\0" * 100)
    orphan = jpeg(seed=99)
    orphan_key = store.put(sha256_of(orphan), "jpg", orphan)
    with intake.engine.begin() as conn:
        conn.execute(text("UPDATE photo SET status = 'read' WHERE id = :i"), {"i": marked.photo_id})
    code, report, stderr = run_doctor(database_settings)
    assert code == 7
    assert "disagree" in stderr and "1 missing_blob" in stderr
    found = {(f["check"], f["subject"]) for f in report["findings"]}
    assert ("missing_blob", f"photo {missing.photo_id}") in found
    assert ("corrupt_blob", f"photo {corrupt.photo_id}") in found
    assert ("orphan_blob", orphan_key) in found
    assert ("status_mismatch", f"photo {marked.photo_id}") in found
    assert "ingest the original photo again" in report["advice"]["missing_blob"]
    quick = examine(intake.engine, store, utcnow(), hash_blobs=False)
    assert {f.check for f in quick.findings} >= {"missing_blob", "orphan_blob"}
    assert "corrupt_blob" not in {f.check for f in quick.findings}


def test_repair_deletes_old_orphans_only_and_reingesting_restores_bad_blobs(
    sqlite_settings: Settings,
) -> None:
    intake = make_intake(sqlite_settings)
    kept = intake_photo(intake, jpeg(seed=20), "kept.jpg", CUSTODY)
    store = intake.blobs
    assert isinstance(store, LocalBlobStore)
    old, new = jpeg(seed=21), jpeg(seed=22)
    old_key = store.put(sha256_of(old), "jpg", old)
    new_key = store.put(sha256_of(new), "jpg", new)
    two_hours_ago = time.time() - 7200
    os.utime(store.root / old_key, (two_hours_ago, two_hours_ago))
    code, report, _ = run_doctor(sqlite_settings, "--repair")
    assert code == 7, "the young orphan may be an upload about to commit: kept"
    assert [(f["subject"], f["repaired"]) for f in report["findings"]] == [
        (old_key, True),
        (new_key, False),
    ][:: 1 if old_key < new_key else -1]
    assert not store.exists(old_key) and store.exists(new_key)
    store.delete(content_key(str(kept.sha256), "jpg"))
    assert intake_photo(intake, jpeg(seed=20), "again.jpg", CUSTODY).status == "duplicate"
    intake_photo(intake, new, "new.jpg", CUSTODY)
    code, report, _ = run_doctor(sqlite_settings)
    assert code == 0, report


@pytest.mark.postgres
def test_a_queued_photo_without_a_job_is_found_and_queued_again(
    postgres_url: str, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=postgres_url)
    intake = make_intake(settings)
    stored = intake_photo(intake, jpeg(seed=30), "a.jpg", CUSTODY)
    with intake.engine.begin() as conn:
        conn.execute(text("DELETE FROM procrastinate.procrastinate_jobs"))
    code, report, _ = run_doctor(settings)
    assert code == 7
    assert [f["check"] for f in report["findings"]] == ["queued_without_job"]
    code, report, _ = run_doctor(settings, "--repair")
    assert code == 0 and report["findings"][0]["repaired"] is True
    code, report, _ = run_doctor(settings)
    assert code == 0 and report["findings"] == []
    assert stored.photo_id is not None
