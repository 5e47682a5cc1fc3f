"""The audit log: every action, append-only, each entry chained to the one before by hash.

hash(n) = SHA-256 of the canonical JSON of (seq, time, actor, action, subject, details,
hash(n-1)). Editing, removing or reordering any entry breaks the chain from there on, and
`verify_chain` says where. Cutting entries off the *end* leaves a shorter valid chain, so
the head hash is recorded with every certification and printed by `canvass audit verify`:
compare it with the one on the signed report.

Appends are serialised: the sequence number is the primary key, so two writers racing for
the same number cannot both succeed; the loser retries on the new head.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from canvass.errors import ConflictError
from canvass.store.tables import AuditRow
from canvass.store.types import utcnow

GENESIS = "0" * 64
ADVISORY_LOCK = 7_245_001  # serialises appenders on PostgreSQL


@dataclass(frozen=True)
class ChainCheck:
    entries: int
    head: str
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def entry_hash(
    seq: int, at: datetime, actor: str, action: str, subject: str, details_json: str, prev: str
) -> str:
    body = json.dumps(
        [seq, at.isoformat(timespec="microseconds"), actor, action, subject, details_json, prev],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def append(session: Session, actor: str, action: str, subject: str, details: dict[str, Any]) -> str:
    """Add an entry inside the caller's transaction (so the action and its log entry commit
    together); returns its hash. Raises ConflictError if another writer took the slot."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
    head = session.execute(
        select(AuditRow).order_by(col(AuditRow.seq).desc()).limit(1)
    ).scalar_one_or_none()
    seq = head.seq + 1 if head else 1
    prev = head.hash if head else GENESIS
    at = utcnow()
    body = json.dumps(
        details, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    digest = entry_hash(seq, at, actor, action, subject, body, prev)
    session.add(
        AuditRow(
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            subject=subject,
            details_json=body,
            prev_hash=prev,
            hash=digest,
        )
    )
    try:
        session.flush()
    except IntegrityError as exc:
        raise ConflictError("another action was logged at the same moment: try again") from exc
    return digest


def head_hash(engine: Engine) -> str:
    with Session(engine) as session:
        head = session.execute(
            select(col(AuditRow.hash)).order_by(col(AuditRow.seq).desc()).limit(1)
        ).scalar_one_or_none()
    return head or GENESIS


def verify_chain(engine: Engine) -> ChainCheck:
    """Walk the whole log and report every break, by sequence number."""
    problems: list[str] = []
    prev, expected_seq, count = GENESIS, 1, 0
    with Session(engine) as session:
        for row in session.execute(select(AuditRow).order_by(col(AuditRow.seq))).scalars():
            count += 1
            if row.seq != expected_seq:
                problems.append(f"entry {expected_seq} is missing (next is {row.seq})")
            if row.prev_hash != prev:
                problems.append(f"entry {row.seq} does not follow the entry before it")
            recomputed = entry_hash(
                row.seq, row.at, row.actor, row.action, row.subject, row.details_json, row.prev_hash
            )
            if recomputed != row.hash:
                problems.append(f"entry {row.seq} ({row.action} {row.subject}) was altered")
            prev, expected_seq = row.hash, row.seq + 1
    return ChainCheck(entries=count, head=prev, problems=problems)


def data_version(engine: Engine) -> int:
    """The number of the audit log's last entry (0 when empty): every change to the
    election's data appends one, so a cache keyed by it is never stale."""
    with Session(engine) as session:
        return int(session.execute(select(func.max(col(AuditRow.seq)))).scalar_one() or 0)
