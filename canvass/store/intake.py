"""The adapter between intake (photos, custody, reports) and its rows."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from canvass.errors import ConflictError
from canvass.store.audit import append
from canvass.store.db import session_scope
from canvass.store.jobs import defer_read
from canvass.store.tables import PhotoRow, ReportImportRow, ReportRow, UploadRow


@dataclass(frozen=True)
class UploadRecord:
    """What custody records about one attempt, whatever its outcome."""

    election_id: str
    sha256: str
    original_name: str
    uploader: str
    client_source: str
    declared_precinct: str | None
    received_at: datetime


@dataclass(frozen=True)
class NewPhoto:
    media_type: str
    size_bytes: int
    width: int
    height: int
    pages: int
    blob_key: str


def record_photo(engine: Engine, upload: UploadRecord, photo: NewPhoto) -> tuple[int, bool]:
    """Record a stored photo and its upload in one transaction: (photo id, newly stored).

    A photo already stored (same SHA-256) is not stored again; the upload is noted as a
    duplicate. Two identical uploads racing each other end the same way. On PostgreSQL the
    photo's reading job is deferred in the same transaction (`store/jobs.py`).
    """
    for _attempt in range(3):
        try:
            return _record_photo_once(engine, upload, photo)
        except (IntegrityError, ConflictError):
            continue  # the other upload of the same bytes won: record ours as a duplicate
    raise ConflictError("the database kept refusing this photo's record: send it again")


def _record_photo_once(engine: Engine, upload: UploadRecord, photo: NewPhoto) -> tuple[int, bool]:
    with session_scope(engine) as session:
        existing = session.execute(
            select(col(PhotoRow.id)).where(col(PhotoRow.sha256) == upload.sha256)
        ).scalar_one_or_none()
        if existing is not None:
            session.add(_upload_row(upload, "duplicate", None, existing))
            _log_upload(session, upload, "photo.duplicate", None)
            return existing, False
        row = PhotoRow(
            election_id=upload.election_id,
            sha256=upload.sha256,
            declared_precinct=upload.declared_precinct,
            status="queued",
            stored_at=upload.received_at,
            **photo.__dict__,
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        session.add(_upload_row(upload, "stored", None, row.id))
        _log_upload(session, upload, "photo.stored", None)
        defer_read(session, row.id)  # PostgreSQL: its reading job commits with the row
        return row.id, True


def record_refusal(engine: Engine, upload: UploadRecord, reason: str) -> None:
    """A refused upload leaves a custody record (no bytes are kept)."""
    with session_scope(engine) as session:
        session.add(_upload_row(upload, "rejected", reason, None))
        _log_upload(session, upload, "photo.refused", reason)


def _log_upload(session: Session, upload: UploadRecord, action: str, reason: str | None) -> None:
    details = {
        "name": upload.original_name,
        "source": upload.client_source,
        "declared_precinct": upload.declared_precinct,
        "reason": reason,
    }
    append(session, upload.uploader, action, f"photo/{upload.sha256}", details)


def _upload_row(
    upload: UploadRecord, outcome: str, reason: str | None, photo_id: int | None
) -> UploadRow:
    return UploadRow(
        election_id=upload.election_id,
        photo_id=photo_id,
        sha256=upload.sha256,
        outcome=outcome,
        reason=reason,
        original_name=upload.original_name,
        uploader=upload.uploader,
        client_source=upload.client_source,
        declared_precinct=upload.declared_precinct,
        received_at=upload.received_at,
    )


@dataclass(frozen=True)
class ReportVersion:
    precinct_id: str
    fields: dict[str, int | float]
    received_at: datetime | None


def canonical_fields(fields: dict[str, int | float]) -> str:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"))


def store_reports(
    engine: Engine,
    election_id: str,
    source: str,
    file_name: str,
    file_sha256: str,
    reports: Sequence[ReportVersion],
    now: datetime,
) -> int:
    """Store a validated file's reports in one transaction; the number of new versions.

    The same file again stores nothing. A precinct's report identical to the version in
    force from this source is not stored again; a different one becomes the next version.
    """
    try:
        with session_scope(engine) as session:
            if _already_imported(session, election_id, source, file_sha256):
                return 0
            batch = ReportImportRow(
                election_id=election_id,
                source=source,
                file_name=file_name,
                file_sha256=file_sha256,
                stored=0,
                imported_at=now,
            )
            session.add(batch)
            session.flush()
            assert batch.id is not None
            stored = sum(
                _store_one(session, election_id, source, batch.id, r, now) for r in reports
            )
            batch.stored = stored
            details = {"file": file_name, "sha256": file_sha256, "stored": stored}
            append(session, f"import:{source}", "reports.imported", f"import/{batch.id}", details)
            return stored
    except IntegrityError as exc:
        raise ConflictError(
            "another import of reports from this source ran at the same time: import again"
        ) from exc


def _already_imported(session: Session, election_id: str, source: str, digest: str) -> bool:
    found = session.execute(
        select(col(ReportImportRow.id)).where(
            col(ReportImportRow.election_id) == election_id,
            col(ReportImportRow.source) == source,
            col(ReportImportRow.file_sha256) == digest,
        )
    ).first()
    return found is not None


def _store_one(
    session: Session,
    election_id: str,
    source: str,
    import_id: int,
    report: ReportVersion,
    now: datetime,
) -> int:
    text = canonical_fields(report.fields)
    digest = hashlib.sha256(text.encode()).hexdigest()
    latest = session.execute(
        select(ReportRow)
        .where(
            col(ReportRow.election_id) == election_id,
            col(ReportRow.precinct_id) == report.precinct_id,
            col(ReportRow.source) == source,
        )
        .order_by(col(ReportRow.version).desc())
        .limit(1)
    ).scalar_one_or_none()
    if latest is not None and latest.fields_sha256 == digest:
        return 0
    session.add(
        ReportRow(
            election_id=election_id,
            precinct_id=report.precinct_id,
            source=source,
            version=(latest.version + 1) if latest else 1,
            fields_json=text,
            fields_sha256=digest,
            import_id=import_id,
            received_at=report.received_at,
            imported_at=now,
        )
    )
    return 1


def reports_by_precinct(
    engine: Engine, election_id: str, precinct: str | None = None
) -> dict[str, dict[str, dict[str, int | float]]]:
    """precinct -> source -> the fields of that source's report in force (of `precinct`
    only, when given)."""
    grouped: dict[str, dict[str, dict[str, int | float]]] = {}
    for (found, source), fields in reports_in_force(engine, election_id, precinct).items():
        grouped.setdefault(found, {})[source] = fields
    return grouped


def reports_in_force(
    engine: Engine, election_id: str, precinct: str | None = None
) -> dict[tuple[str, str], dict[str, int | float]]:
    """(precinct, source) -> the fields of the latest version (of `precinct` only, when
    given)."""
    scope = col(ReportRow.election_id) == election_id
    if precinct is not None:
        scope = scope & (col(ReportRow.precinct_id) == precinct)
    latest = (
        select(
            col(ReportRow.precinct_id),
            col(ReportRow.source),
            func.max(col(ReportRow.version)).label("version"),
        )
        .where(scope)
        .group_by(col(ReportRow.precinct_id), col(ReportRow.source))
        .subquery()
    )
    query = (
        select(col(ReportRow.precinct_id), col(ReportRow.source), col(ReportRow.fields_json))
        .join(
            latest,
            (col(ReportRow.precinct_id) == latest.c.precinct_id)
            & (col(ReportRow.source) == latest.c.source)
            & (col(ReportRow.version) == latest.c.version),
        )
        .where(col(ReportRow.election_id) == election_id)
    )
    with Session(engine) as session:
        return {(p, s): json.loads(f) for p, s, f in session.execute(query)}
