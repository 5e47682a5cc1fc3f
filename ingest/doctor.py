"""`canvass doctor`: do the database and the blob store agree?

After a crash (a killed server or worker, a lost disk) the two can differ; the doctor
finds how, says what to do, and with `repair` fixes what is safe to fix:

- missing_blob: a photo row whose bytes are not in the store (ingest the original again);
- corrupt_blob: stored bytes whose SHA-256 is not the photo's (ingest the original again);
- orphan_blob: bytes no photo row names, left by a crash between writing them and the
  commit (repair deletes those older than `ORPHAN_GRACE`: younger ones may be in flight);
- reading_without_photo: a reading whose photo row is gone;
- read_more_than_once: a photo with more than one reading or `photo.read` log entry;
- status_mismatch: a photo marked read with no reading, or queued with one;
- queued_without_job: PostgreSQL only, a queued photo with no waiting or running reading
  job (repair defers one).

Hashing every photo reads every byte (about 4 MB a photo); `hash_blobs=False` checks
presence only, from one listing of the store.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from canvass.errors import StorageError
from canvass.progress import ProgressCallback
from canvass.store.consistency import (
    PhotoBlob,
    photo_blobs,
    photos_read_more_than_once,
    queued_photo_ids,
    readings_without_photo,
    status_mismatches,
)
from canvass.store.jobs import live_jobs_by_photo, requeue_read, uses_job_queue
from ingest.blobs import BlobInfo, BlobStore, sha256_of

ORPHAN_GRACE = timedelta(hours=1)  # younger orphans may be uploads about to commit

ADVICE = {
    "missing_blob": "ingest the original photo again (`canvass ingest FILE`): the same "
    "bytes restore the blob; or restore the store from its backup",
    "corrupt_blob": "ingest the original photo again: bytes that match replace the bad ones",
    "orphan_blob": "harmless (an upload that crashed before its commit); "
    "`canvass doctor --repair` deletes those older than an hour",
    "reading_without_photo": "the photo rows were removed: restore the database backup",
    "read_more_than_once": "report it: the database should make this impossible",
    "status_mismatch": "report it: a photo's status and its reading disagree",
    "queued_without_job": "`canvass doctor --repair` queues them again",
}


@dataclass(frozen=True)
class Finding:
    check: str
    subject: str
    detail: str
    repaired: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "subject": self.subject,
            "detail": self.detail,
            "repaired": self.repaired,
        }


@dataclass
class DoctorReport:
    photos: int = 0
    blobs: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Clean, or every difference found was repaired."""
        return all(f.repaired for f in self.findings)

    def counts(self) -> Counter[str]:
        return Counter(f.check for f in self.findings if not f.repaired)

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "photos": self.photos,
            "blobs": self.blobs,
            "problems": dict(self.counts()),
            "findings": [f.as_json() for f in self.findings],
            "advice": {check: ADVICE[check] for check in self.counts()},
        }

    def failure(self) -> StorageError:
        summary = ", ".join(f"{n} {check}" for check, n in sorted(self.counts().items()))
        return StorageError(
            f"the database and the blob store disagree ({summary}): see the table above "
            "for what to do"
        )


def examine(
    engine: Engine,
    blobs: BlobStore,
    now: datetime,
    hash_blobs: bool = True,
    repair: bool = False,
    progress: ProgressCallback | None = None,
) -> DoctorReport:
    """Every check above, on every photo of every election."""
    photos = photo_blobs(engine)
    stored = {b.key: b for b in blobs.list()}
    report = DoctorReport(photos=len(photos), blobs=len(stored))
    report.findings += _blob_findings(photos, stored, blobs, hash_blobs, progress)
    report.findings += _orphans(photos, stored, blobs, now, repair)
    report.findings += [
        Finding("reading_without_photo", f"reading {r}", "its photo row is missing")
        for r in readings_without_photo(engine)
    ]
    report.findings += [
        Finding("read_more_than_once", f"photo {p}", f"read {n} times")
        for p, n in sorted(photos_read_more_than_once(engine).items())
    ]
    report.findings += [
        Finding("status_mismatch", f"photo {p}", why) for p, why in status_mismatches(engine)
    ]
    if uses_job_queue(engine):
        report.findings += _jobless(engine, repair)
    return report


def _blob_findings(
    photos: list[PhotoBlob],
    stored: dict[str, BlobInfo],
    blobs: BlobStore,
    hash_blobs: bool,
    progress: ProgressCallback | None,
) -> list[Finding]:
    findings: list[Finding] = []
    for done, photo in enumerate(photos, start=1):
        subject = f"photo {photo.photo_id}"
        if photo.blob_key not in stored:
            findings.append(Finding("missing_blob", subject, f"{photo.blob_key} is not stored"))
        elif hash_blobs and sha256_of(blobs.get(photo.blob_key)) != photo.sha256:
            detail = f"{photo.blob_key}: its bytes do not have SHA-256 {photo.sha256[:16]}..."
            findings.append(Finding("corrupt_blob", subject, detail))
        if progress:
            progress(done, len(photos))
    return findings


def _orphans(
    photos: list[PhotoBlob],
    stored: dict[str, BlobInfo],
    blobs: BlobStore,
    now: datetime,
    repair: bool,
) -> list[Finding]:
    named = {p.blob_key for p in photos}
    findings: list[Finding] = []
    for key, info in sorted(stored.items()):
        if key in named:
            continue
        old = now - info.modified > ORPHAN_GRACE
        if repair and old:
            blobs.delete(key)
        age = "older than an hour" if old else "under an hour old"
        findings.append(
            Finding("orphan_blob", key, f"{info.size} bytes, {age}", repaired=repair and old)
        )
    return findings


def _jobless(engine: Engine, repair: bool) -> list[Finding]:
    live = live_jobs_by_photo(engine)
    findings: list[Finding] = []
    for photo_id in queued_photo_ids(engine):
        if photo_id in live:
            continue
        fixed = repair and requeue_read(engine, photo_id)
        detail = "queued again" if fixed else "no reading job waits or runs for it"
        findings.append(Finding("queued_without_job", f"photo {photo_id}", detail, fixed))
    return findings
