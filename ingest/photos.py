"""Photo intake: check, store the original bytes, record custody, queue for reading.

Intake returns as soon as a photo is safely stored and queued; reading happens after
(`canvass worker`, `canvass read-queued`). Order of writes: the blob first (atomic,
content-addressed, idempotent, in the store `open_blob_store` chose), then the rows in one
transaction, with the photo's reading job on PostgreSQL, so a crash at any point leaves no
half file, no row without its file and no stored photo without its job; at worst an
unreferenced blob, which the next upload of the same photo reuses (`canvass doctor` lists it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import Engine

from canvass.errors import InputError, NotFoundError, RefusedError
from canvass.model import Election
from canvass.progress import ProgressCallback
from canvass.store.intake import NewPhoto, UploadRecord, record_photo, record_refusal
from canvass.store.types import utcnow
from ingest.blobs import BlobStore, sha256_of
from ingest.sniff import EXTENSIONS, Limits, inspect_photo

Status = Literal["stored", "duplicate", "rejected"]


@dataclass(frozen=True)
class Custody:
    """Who hands the photo in, through what, and which precinct they say it is."""

    uploader: str
    client_source: str
    declared_precinct: str | None = None


@dataclass(frozen=True)
class IntakeResult:
    file: str
    status: Status
    sha256: str | None
    reason: str | None
    photo_id: int | None = None

    def as_json(self) -> dict[str, str | None]:
        return {
            "file": self.file,
            "status": self.status,
            "sha256": self.sha256,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Intake:
    """Everything intake writes to: the database, the blob store, the election, the limits."""

    engine: Engine
    blobs: BlobStore
    election: Election
    limits: Limits


def safe_name(name: str) -> str:
    """The file name as given, reduced to something safe to record and show: the last path
    segment only (either separator), no control characters, at most 255 characters."""
    last = re.split(r"[\\/]", name)[-1]
    cleaned = re.sub(r"[\x00-\x1f\x7f]", "", last).strip()
    return (cleaned or "unnamed")[:255]


def check_custody(custody: Custody, election: Election) -> None:
    if not custody.uploader.strip():
        raise InputError("say who is uploading (--uploader NAME)")
    precinct = custody.declared_precinct
    if precinct is not None and precinct not in election.precinct_by_id:
        raise NotFoundError(
            f"precinct {precinct!r} is not in {election.name}: see `canvass precincts` for the ids"
        )


def intake_photo(
    intake: Intake, data: bytes, name: str, custody: Custody, now: datetime | None = None
) -> IntakeResult:
    """Take one photo in: refused with a reason, stored, or noted as a duplicate."""
    check_custody(custody, intake.election)
    digest = sha256_of(data)
    record = UploadRecord(
        election_id=intake.election.id,
        sha256=digest,
        original_name=safe_name(name),
        uploader=custody.uploader.strip()[:128],
        client_source=custody.client_source[:64],
        declared_precinct=custody.declared_precinct,
        received_at=now or utcnow(),
    )
    try:
        info = inspect_photo(data, intake.limits)
    except RefusedError as refusal:
        record_refusal(intake.engine, record, refusal.message)
        return IntakeResult(name, "rejected", digest, refusal.message)
    key = intake.blobs.put(digest, EXTENSIONS[info.media_type], data)
    photo = NewPhoto(info.media_type, len(data), info.width, info.height, info.pages, key)
    photo_id, is_new = record_photo(intake.engine, record, photo)
    return IntakeResult(name, "stored" if is_new else "duplicate", digest, None, photo_id)


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given, and every file under a folder (sorted, hidden files skipped).
    A path that does not exist stops everything before anything is stored."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(_files_under(path))
        elif path.is_file():
            files.append(path)
        else:
            raise NotFoundError(f"{path}: no such file or folder; check the path")
    return files


def _files_under(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        hidden = any(part.startswith(".") for part in path.relative_to(folder).parts)
        if path.is_file() and not hidden:
            yield path


def ingest_paths(
    intake: Intake,
    paths: Iterable[Path],
    custody: Custody,
    progress: ProgressCallback | None = None,
) -> list[IntakeResult]:
    """Take in every photo under `paths`, one at a time, each committed before the next."""
    check_custody(custody, intake.election)
    files = expand_paths(paths)
    results: list[IntakeResult] = []
    for done, path in enumerate(files, start=1):
        results.append(_ingest_file(intake, path, custody))
        if progress:
            progress(done, len(files))
    return results


def _ingest_file(intake: Intake, path: Path, custody: Custody) -> IntakeResult:
    size = path.stat().st_size
    if size > intake.limits.max_bytes:
        reason = (
            f"the file is {size / 1e6:.1f} MB, over the {intake.limits.max_bytes / 1e6:.0f} MB "
            "limit: send the photo at the phone's normal size"
        )
        return IntakeResult(str(path), "rejected", None, reason)
    result = intake_photo(intake, path.read_bytes(), path.name, custody)
    return IntakeResult(str(path), result.status, result.sha256, result.reason, result.photo_id)
