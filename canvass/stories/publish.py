"""Publishing the results: a static export anyone can check offline.

`publish` writes, into an empty folder, every precinct with a sheet (of one county, or of
the whole election) with each number's evidence (`canvass.publish`), then records the
publication in the audit log with the manifest's digest. Only a certifier or an
administrator publishes: an export is an official statement of the results, as a
sign-off is, though it may show provisional numbers (marked as such). Numbers waiting for
blind double entry are never published, nor their reading or reports.

`verify_publication` is the same standard-library check the export ships.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from canvass.errors import ConflictError, NotFoundError, NotReadyError
from canvass.model import Election
from canvass.publish import verify_publication as verifier
from canvass.publish.evidence import gather
from canvass.publish.export import Written, write_export
from canvass.roles import CERTIFIERS
from canvass.store.accounts import acting_account
from canvass.store.audit import head_hash
from canvass.store.certify import STATE
from canvass.store.publication import record_publication
from ingest.blob_types import BlobStore

CREATE = "canvass users add NAME --role certifier --county C"


@dataclass(frozen=True)
class Published:
    written: Written
    scope: str
    publisher: str
    audit_entry: str

    def as_json(self) -> dict[str, object]:
        return {
            "folder": str(self.written.folder),
            "scope": self.scope,
            "publisher": self.publisher,
            "manifest_sha256": self.written.manifest_sha256,
            "precincts": self.written.precincts,
            "numbers": self.written.numbers,
            "files": self.written.files,
            "audit_entry": self.audit_entry,
        }


def publish(
    engine: Engine,
    election: Election,
    folder: Path,
    county: str | None,
    publisher: str,
    photos: BlobStore,
    crops: BlobStore,
    now: datetime,
) -> Published:
    """Write the export into `folder` as the account `publisher` and log it. Refused: an
    account that is not a certifier or an administrator, an unknown county, a folder that
    is not empty, nothing to publish."""
    account = acting_account(engine, publisher, CERTIFIERS, "certifier", CREATE, "publish")
    _check_county(election, county)
    _check_folder(folder)
    precincts = gather(engine, election, county, crops.exists)
    scope = county or STATE
    if not precincts:
        where = f"in {county}" if county else "yet"
        raise NotReadyError(
            f"nothing to publish: no precinct {where} has a sheet read: ingest and read "
            "its photos first (`canvass ingest`, `canvass read-queued`)"
        )
    about = {
        "election": {"id": election.id, "name": election.name},
        "scope": scope,
        "publisher": account.username,
        "published_at": now.isoformat(),
        "audit_head": head_hash(engine),
    }
    written = write_export(folder, precincts, about, photos.get, crops.get)
    details = {
        "scope": scope,
        "manifest_sha256": written.manifest_sha256,
        "precincts": written.precincts,
        "numbers": written.numbers,
    }
    entry = record_publication(engine, account.username, details)
    return Published(written, scope, account.username, entry)


def _check_county(election: Election, county: str | None) -> None:
    if county is None:
        return
    known = sorted({p.county for p in election.precincts})
    if county not in known:
        raise NotFoundError(
            f"no county {county!r} in {election.id}: name one of the election's counties "
            "(`canvass precincts` lists them)"
        )


def _check_folder(folder: Path) -> None:
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ConflictError(
            f"{folder} exists and is not an empty folder: name a new or empty folder, "
            "a publication is never written over another"
        )


def verify_publication(folder: Path) -> tuple[list[str], str]:
    """(problems, summary) of the export in `folder`: the export's own check."""
    if not (folder / verifier.MANIFEST).is_file():
        raise NotFoundError(
            f"{folder} holds no {verifier.MANIFEST}: name the folder `canvass publish` wrote"
        )
    return verifier.verify(folder)
