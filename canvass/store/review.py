"""The review queue: items from reconciliation, claims, decisions and blind double entry.

Rules kept here, on both databases:
- A claim is a conditional UPDATE (free, or expired, or already ours), so two reviewers can
  never hold the same item, however they race; a claim lapses after its time to live.
- Decisions are stored beside the machine reading and never replace it; a reason is always
  required.
- What each decision may do is `canvass.policy`'s; `canvass.store.decide` enforces it.
- A reviewer can release an item they hold; a lapsed claim holds nothing.
- Every claim and decision goes into the audit log in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, or_, select, update
from sqlmodel import Session, col

from canvass.errors import ConflictError, NotFoundError
from canvass.store.audit import append
from canvass.store.db import session_scope
from canvass.store.lookups import frozen_scopes
from canvass.store.queue_list import QueueItem, queue_item
from canvass.store.queue_list import queue as queue  # listed there, re-exported here
from canvass.store.reflected import declared_tables
from canvass.store.tables import ReviewItemRow

CLAIM_TTL = timedelta(minutes=15)


@dataclass(frozen=True)
class NewItem:
    key: str
    precinct_id: str
    county: str
    kind: str
    fields: list[str]
    details: dict[str, Any]
    effect_delegates: int
    effect_sde: float


@dataclass
class SyncResult:
    created: int = 0
    kept: int = 0
    superseded: int = 0
    frozen: list[str] = field(default_factory=list)


def frozen_counties(session: Session, election_id: str) -> set[str]:
    return frozen_scopes(session, declared_tables(), election_id)


def sync_items(
    engine: Engine,
    election_id: str,
    precincts: Sequence[str],
    items: Sequence[NewItem],
    now: datetime,
) -> SyncResult:
    """Make the stored queue for `precincts` match `items`: new keys are added, known keys
    keep their state and decisions, and items no longer produced are superseded unless
    resolved (a decision that settles its field stops the item being produced; the item
    stays as the record of how it was resolved, for the certified report). Certified
    (frozen) counties keep their items as they are; only new `late_evidence` items are
    added there (evidence their sign-off did not see: it changes nothing certified, but
    it is never silent)."""
    result = SyncResult()
    wanted = {i.key: i for i in items}
    with session_scope(engine) as session:
        frozen = frozen_counties(session, election_id)
        existing = session.execute(
            select(ReviewItemRow).where(
                col(ReviewItemRow.election_id) == election_id,
                col(ReviewItemRow.precinct_id).in_(list(precincts)),
                col(ReviewItemRow.status) != "superseded",
            )
        ).scalars()
        for row in existing:
            if row.county in frozen:
                continue
            if row.key in wanted:
                result.kept += 1
                if row.status == "open":  # the supports may have moved since
                    row.details_json = _details_json(wanted[row.key])
            elif row.status != "resolved":  # a resolved item is the record of its decision
                row.status = "superseded"
                result.superseded += 1
        known = set(
            session.execute(
                select(col(ReviewItemRow.key)).where(col(ReviewItemRow.key).in_(list(wanted)))
            ).scalars()
        )
        for key, item in wanted.items():
            if key in known or (item.county in frozen and item.kind != "late_evidence"):
                continue
            session.add(_item_row(election_id, item, now))
            result.created += 1
        result.frozen = sorted(frozen)
        append(
            session,
            "reconciler",
            "reconcile.run",
            f"election/{election_id}",
            {
                "precincts": len(precincts),
                "created": result.created,
                "kept": result.kept,
                "superseded": result.superseded,
            },
        )
    return result


def _details_json(item: NewItem) -> str:
    return json.dumps(item.details, sort_keys=True, default=str)


def _item_row(election_id: str, item: NewItem, now: datetime) -> ReviewItemRow:
    return ReviewItemRow(
        election_id=election_id,
        key=item.key,
        precinct_id=item.precinct_id,
        county=item.county,
        kind=item.kind,
        fields_json=json.dumps(item.fields),
        details_json=_details_json(item),
        effect_delegates=item.effect_delegates,
        effect_sde=item.effect_sde,
        status="open",
        created_at=now,
    )


def claim(
    engine: Engine, item_id: int, reviewer: str, now: datetime, ttl: timedelta = CLAIM_TTL
) -> QueueItem:
    """Hold an item for `ttl`; refused while another reviewer's claim is live, and in a
    certified county (nothing there can be decided until it is reopened)."""
    with session_scope(engine) as session:
        result = session.execute(
            update(ReviewItemRow)
            .where(
                col(ReviewItemRow.id) == item_id,
                col(ReviewItemRow.status).in_(["open", "waiting"]),
                or_(
                    col(ReviewItemRow.claimed_by).is_(None),
                    col(ReviewItemRow.claimed_by) == reviewer,
                    col(ReviewItemRow.claim_expires_at) < now,
                ),
            )
            .values(claimed_by=reviewer, claim_expires_at=now + ttl)
        )
        taken = cast(CursorResult[Any], result).rowcount
        row = session.get(ReviewItemRow, item_id)
        if row is None:
            raise NotFoundError(f"no review item {item_id}: see `canvass queue`")
        if row.county in frozen_counties(session, row.election_id):  # rolls the claim back
            raise ConflictError(
                f"{row.county} is certified and frozen: an administrator must reopen it first"
            )
        if not taken:
            if row.status not in ("open", "waiting"):
                raise ConflictError(f"item {item_id} is {row.status}: nothing to claim")
            raise ConflictError(
                f"item {item_id} is held by {row.claimed_by} until "
                f"{row.claim_expires_at:%H:%M} UTC: take another item"
            )
        append(session, reviewer, "item.claimed", f"item/{item_id}", {})
        return queue_item(row)


def release(engine: Engine, item_id: int, reviewer: str) -> None:
    """Give up `reviewer`'s claim on an item (refused when they do not hold it); an
    expired claim of theirs is cleared too, so the item shows as free."""
    with session_scope(engine) as session:
        result = session.execute(
            update(ReviewItemRow)
            .where(col(ReviewItemRow.id) == item_id, col(ReviewItemRow.claimed_by) == reviewer)
            .values(claimed_by=None, claim_expires_at=None)
        )
        if not cast(CursorResult[Any], result).rowcount:
            if session.get(ReviewItemRow, item_id) is None:
                raise NotFoundError(f"no review item {item_id}: see `canvass queue`")
            raise ConflictError(f"you do not hold item {item_id}: nothing to release")
        append(session, reviewer, "item.released", f"item/{item_id}", {})


def queue_item_by_id(engine: Engine, item_id: int) -> QueueItem:
    """One item, whatever its status."""
    with Session(engine) as session:
        row = session.get(ReviewItemRow, item_id)
    if row is None:
        raise NotFoundError(f"no review item {item_id}: see `canvass queue`")
    return queue_item(row)
