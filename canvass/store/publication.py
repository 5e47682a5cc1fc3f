"""What a public export needs from the store, and its record in the audit log.

A publication copies each photo in force into the export, so it needs where the photo's
bytes are (the evidence story gives its id and digest); the publication itself is one
audit entry (who published what, with the manifest's digest), so a published export can
be traced to the log it was made under.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from canvass.store.audit import append
from canvass.store.db import session_scope
from canvass.store.tables import PhotoRow


@dataclass(frozen=True)
class PhotoBlob:
    """A stored photo's digest and where its bytes are in the photo store."""

    photo_id: int
    sha256: str
    blob_key: str
    media_type: str


def photo_blobs(engine: Engine, photo_ids: Collection[int]) -> dict[int, PhotoBlob]:
    """The stored photos of `photo_ids`, by id."""
    if not photo_ids:
        return {}
    with Session(engine) as session:
        rows = session.execute(
            select(PhotoRow).where(col(PhotoRow.id).in_(sorted(photo_ids)))
        ).scalars()
        return {r.id or 0: PhotoBlob(r.id or 0, r.sha256, r.blob_key, r.media_type) for r in rows}


def record_publication(engine: Engine, publisher: str, details: dict[str, Any]) -> str:
    """One audit entry for an export written (`publication.written`, subject the
    manifest's digest); returns the entry's hash."""
    subject = f"publication/{details.get('manifest_sha256', '')}"
    with session_scope(engine) as session:
        return append(session, publisher, "publication.written", subject, details)
