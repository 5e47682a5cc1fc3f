"""The database tables. Every schema change goes with an Alembic migration in `migrations/`
(a test compares these tables with the migrated schema)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKeyConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from canvass.store.types import UTCDateTime, utcnow


class ElectionRow(SQLModel, table=True):
    __tablename__ = "election"

    id: str = Field(primary_key=True, max_length=64)
    name: str
    rule_set: str = Field(max_length=64)
    form: str = Field(
        default="caucus-math-worksheet",
        max_length=64,
        sa_column_kwargs={"server_default": "caucus-math-worksheet"},
    )
    content_sha256: str = Field(max_length=64)
    loaded_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class CandidateRow(SQLModel, table=True):
    __tablename__ = "candidate"
    __table_args__ = (UniqueConstraint("election_id", "name"),)

    election_id: str = Field(foreign_key="election.id", primary_key=True, max_length=64)
    position: int = Field(primary_key=True)
    name: str = Field(max_length=128)


class CountyRow(SQLModel, table=True):
    __tablename__ = "county"

    election_id: str = Field(foreign_key="election.id", primary_key=True, max_length=64)
    name: str = Field(primary_key=True, max_length=128)
    position: int
    kind: str = Field(max_length=32)
    state_delegate_ratio: float | None = None
    sde_per_attendee: float | None = None


class PrecinctRow(SQLModel, table=True):
    __tablename__ = "precinct"
    __table_args__ = (
        ForeignKeyConstraint(["election_id", "county"], ["county.election_id", "county.name"]),
    )

    election_id: str = Field(foreign_key="election.id", primary_key=True, max_length=64)
    id: str = Field(primary_key=True, max_length=64)
    position: int
    county: str = Field(max_length=128, index=True)
    name: str = Field(max_length=256)
    short_code: str | None = Field(default=None, max_length=64)
    delegates_to_elect: int | None = None
    sde_weight: float | None = None
    satellite: bool = False


class PhotoRow(SQLModel, table=True):
    """One stored original, by content. Its uploads (custody) are in `upload`."""

    __tablename__ = "photo"

    id: int | None = Field(default=None, primary_key=True)
    election_id: str = Field(foreign_key="election.id", max_length=64)
    sha256: str = Field(max_length=64, unique=True)
    media_type: str = Field(max_length=32)
    size_bytes: int
    width: int
    height: int
    pages: int
    blob_key: str = Field(max_length=128)
    declared_precinct: str | None = Field(default=None, max_length=64, index=True)
    status: str = Field(max_length=16, index=True)  # queued | read | rejected | failed
    stored_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # The reader working on it (host:pid:nonce) and until when; see store/readings.py.
    claimed_by: str | None = Field(default=None, max_length=128)
    claim_expires_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )


TEST_SOURCE = "testdeck"
"""The client source of a photo uploaded as a logic-and-accuracy test photo (`canvass
ingest --source testdeck`, the test deck page's upload): no precinct's photo, even refused."""


class UploadRow(SQLModel, table=True):
    """Chain of custody: every attempt to hand canvass a photo, stored, duplicate or refused."""

    __tablename__ = "upload"

    id: int | None = Field(default=None, primary_key=True)
    election_id: str = Field(foreign_key="election.id", max_length=64)
    photo_id: int | None = Field(default=None, foreign_key="photo.id", index=True)
    sha256: str = Field(max_length=64, index=True)
    outcome: str = Field(max_length=16)  # stored | duplicate | rejected
    reason: str | None = None
    original_name: str = Field(max_length=255)
    uploader: str = Field(max_length=128)
    client_source: str = Field(max_length=64)
    declared_precinct: str | None = Field(default=None, max_length=64)
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ReportImportRow(SQLModel, table=True):
    """One imported file of electronic reports; the same file again is recognised by digest."""

    __tablename__ = "report_import"
    __table_args__ = (UniqueConstraint("election_id", "source", "file_sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    election_id: str = Field(foreign_key="election.id", max_length=64)
    source: str = Field(max_length=16)
    file_name: str = Field(max_length=255)
    file_sha256: str = Field(max_length=64)
    stored: int
    imported_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ReportRow(SQLModel, table=True):
    """One version of one source's report for one precinct; the highest version is in force."""

    __tablename__ = "report"
    __table_args__ = (
        UniqueConstraint("election_id", "precinct_id", "source", "version"),
        ForeignKeyConstraint(
            ["election_id", "precinct_id"], ["precinct.election_id", "precinct.id"]
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    election_id: str = Field(foreign_key="election.id", max_length=64)
    precinct_id: str = Field(max_length=64, index=True)
    source: str = Field(max_length=16)
    version: int
    fields_json: str  # canonical JSON object: field key -> number
    fields_sha256: str = Field(max_length=64)
    import_id: int = Field(foreign_key="report_import.id")
    received_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    imported_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ReadingRow(SQLModel, table=True):
    """The machine reading of one photo, kept as read (never edited)."""

    __tablename__ = "reading"

    id: int | None = Field(default=None, primary_key=True)
    photo_id: int = Field(foreign_key="photo.id", unique=True)
    election_id: str = Field(foreign_key="election.id", max_length=64)
    status: str = Field(max_length=16)  # read | rejected | failed
    reason: str | None = None
    precinct_id: str | None = Field(default=None, max_length=64, index=True)
    form: str | None = Field(default=None, max_length=64)
    reading_json: str
    crops_dir: str | None = Field(default=None, max_length=255)
    read_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # The test code of a logic-and-accuracy test sheet's QR (null for every real sheet);
    # such a reading has status "test" and never counts as a precinct's paper.
    test_sheet: str | None = Field(default=None, max_length=32)


class AuditRow(SQLModel, table=True):
    """The append-only, hash-chained log of every action (database triggers refuse edits)."""

    __tablename__ = "audit_log"

    seq: int = Field(primary_key=True)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    actor: str = Field(max_length=128)
    action: str = Field(max_length=64)
    subject: str = Field(max_length=255)
    details_json: str
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


class ReviewItemRow(SQLModel, table=True):
    """One discrepancy or finding a person must see. `key` identifies it across re-runs of
    reconciliation: the same inputs give the same key, so earlier decisions are kept."""

    __tablename__ = "review_item"

    id: int | None = Field(default=None, primary_key=True)
    election_id: str = Field(foreign_key="election.id", max_length=64)
    key: str = Field(max_length=64, unique=True)
    precinct_id: str = Field(max_length=64, index=True)
    county: str = Field(max_length=128, index=True)
    kind: str = Field(max_length=32)
    fields_json: str  # JSON list of field keys
    details_json: str
    effect_delegates: int
    effect_sde: float
    status: str = Field(max_length=16, index=True)  # open | resolved | superseded
    claimed_by: str | None = Field(default=None, max_length=128)
    claim_expires_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class DecisionRow(SQLModel, table=True):
    """A person's decision on an item, stored beside the machine reading (never over it).
    Blind double entries are decisions of action `enter` until two agree or a third decides."""

    __tablename__ = "decision"

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="review_item.id", index=True)
    reviewer: str = Field(max_length=128)
    action: str = Field(max_length=32)
    value: int | None = None
    reason: str
    final: bool
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class CertificationRow(SQLModel, table=True):
    """A county's (or the state's) sign-off; reopening is a new state of the same row,
    and both are in the audit log."""

    __tablename__ = "certification"

    id: int | None = Field(default=None, primary_key=True)
    election_id: str = Field(foreign_key="election.id", max_length=64)
    scope: str = Field(max_length=128, index=True)  # a county name, or "STATE"
    certifier: str = Field(max_length=128)
    role: str = Field(max_length=128)
    manifest_sha256: str = Field(max_length=64)
    audit_head: str = Field(max_length=64)
    certified_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    reopened_by: str | None = Field(default=None, max_length=128)
    reopen_reason: str | None = None
    reopened_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    # What was signed: the scope's result rows as JSON (served while the scope is frozen,
    # never recomputed from live rows). Null only for sign-offs made before revision 0008.
    results_json: str | None = None


class AccountRow(SQLModel, table=True):
    """A person who signs in to the web app. The role decides which routes admit them;
    the password is stored only as an argon2 hash."""

    __tablename__ = "account"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    display_name: str = Field(max_length=128)
    role: str = Field(max_length=16)  # uploader | reviewer | certifier | admin
    password_hash: str = Field(max_length=256)
    active: bool = True
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # Bumped when the account is disabled, its password reset or changed: every session
    # and API token minted under an older epoch stops working at once.
    auth_epoch: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # A certifier's scopes: JSON list of county names and/or "STATE"; null = none.
    certify_scopes: str | None = None


class WebSessionRow(SQLModel, table=True):
    """A signed-in browser. The cookie carries a random id; only its SHA-256 is stored.
    Signing out (or the account's epoch moving on) ends it on the server, so a copied
    cookie is refused afterwards."""

    __tablename__ = "web_session"

    id_sha256: str = Field(primary_key=True, max_length=64)
    username: str = Field(max_length=64, index=True)
    auth_epoch: int
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    ended_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class LoginFailureRow(SQLModel, table=True):
    """One failed sign-in: which name, from which client address, when. Kept in the
    database so every server process shares the throttle and `canvass users unlock`
    can clear a name."""

    __tablename__ = "login_failure"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, index=True)
    address: str = Field(max_length=64, index=True)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))


class DeckRow(SQLModel, table=True):
    """A county's logic-and-accuracy test deck: test sheets printed with scripted values
    that staff copy by hand, photograph and upload, so the county learns how the reader
    does on its own people's handwriting and phones (`canvass testdeck`)."""

    __tablename__ = "testdeck"

    id: int | None = Field(default=None, primary_key=True)
    election_id: str = Field(foreign_key="election.id", max_length=64)
    county: str = Field(max_length=128, index=True)
    seed: int
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class DeckSheetRow(SQLModel, table=True):
    """One test sheet of a deck: its code (printed in its QR payload), the precinct whose
    form it is, who is to write it, and the values scripted for it (JSON: field key ->
    number, or null for a field to leave blank)."""

    __tablename__ = "testdeck_sheet"
    __table_args__ = (UniqueConstraint("deck_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    deck_id: int = Field(foreign_key="testdeck.id", index=True)
    number: int
    code: str = Field(max_length=32, unique=True)
    precinct_id: str = Field(max_length=64)
    writer: str | None = Field(default=None, max_length=128)
    values_json: str


class UploaderClaimRow(SQLModel, table=True):
    """What an uploader said of a photo they sent: a precinct they typed that is not the
    election's (`kind` `typed_precinct`; a known one is in `upload`), or that the sheet says
    something else than the machine read (`sheet_differs`: which fields and what the sheet
    says, JSON field key -> number).
    Evidence for reviewers; it never changes a number by itself. `digest` names the claim's
    content, so a replay is the same row."""

    __tablename__ = "uploader_claim"
    __table_args__ = (UniqueConstraint("photo_id", "uploader", "digest"),)

    id: int | None = Field(default=None, primary_key=True)
    election_id: str = Field(foreign_key="election.id", max_length=64)
    photo_id: int = Field(foreign_key="photo.id", index=True)
    uploader: str = Field(max_length=128)
    kind: str = Field(max_length=16)  # typed_precinct | sheet_differs
    precinct_id: str | None = Field(default=None, max_length=64, index=True)
    typed: str | None = Field(default=None, max_length=64)
    values_json: str
    digest: str = Field(max_length=64)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
