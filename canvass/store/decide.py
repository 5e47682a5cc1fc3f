"""Deciding review items: the decision policy (`canvass.policy`) enforced on the stored
item, in the decision's own transaction, whatever the edge (CLI, pages, API).

- The item must be held by the reviewer (a live claim) and its county not frozen.
- `plan_decision` says what the decision does; a refused one says why and what to do.
- Double entry: a value keyed blind (an `unreadable` item), or a value that neither the
  paper clearly shows nor any report gave, is an entry; it settles the field only when a
  second account keys the same value (a third decides when two differ).
- Decisions are stored beside the machine reading and never replace it; each goes into
  the audit log in the same transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, select, update
from sqlmodel import Session, col

from canvass.errors import ConflictError, NotFoundError
from canvass.policy import ItemFacts, Plan, entry_decides, is_blind, plan_decision
from canvass.store.audit import append
from canvass.store.db import session_scope
from canvass.store.review import frozen_counties
from canvass.store.tables import DecisionRow, ReviewItemRow
from reconcile.keyed import CODE as KEYED_CODE


@dataclass(frozen=True)
class DecisionOutcome:
    item_id: int
    status: str  # resolved | waiting | open (an entry awaiting its partner or a third)
    message: str


def item_facts(
    kind: str,
    details: dict[str, object],
    max_value: int | None,
    keyed_by: frozenset[str] = frozenset(),
) -> ItemFacts:
    """The policy's view of a stored item: its reports and the value the paper clearly
    shows (items made before `paper_clear` existed: the machine's definite reading)."""
    raw = details.get("reported")
    reported = {str(s): int(v) for s, v in raw.items()} if isinstance(raw, dict) else {}
    clear = details.get("paper_clear")
    if "paper_clear" not in details and details.get("paper_status") in ("ok", "blank"):
        clear = details.get("paper")
    photos = details.get("photos")
    shown = tuple(int(v) for v in photos.values()) if isinstance(photos, dict) else ()
    listed = details.get("disagree")
    disagree = tuple(str(k) for k in listed) if isinstance(listed, list) else ()
    paper = clear if isinstance(clear, int) else None
    return ItemFacts(kind, reported, paper, max_value, shown, disagree, keyed_by)


def _facts(session: Session, row: ReviewItemRow, max_value: int | None) -> ItemFacts:
    details = json.loads(row.details_json)
    return item_facts(row.kind, details, max_value, _keyed_by(session, row, details))


def _keyed_by(session: Session, row: ReviewItemRow, details: dict[str, object]) -> frozenset[str]:
    """For a finding on a number people keyed: the accounts that keyed or confirmed it."""
    if row.kind != "math_finding" or details.get("code") != KEYED_CODE:
        return frozenset()
    fields = set(json.loads(row.fields_json))
    found = session.execute(
        select(col(DecisionRow.reviewer), col(ReviewItemRow.fields_json))
        .join(ReviewItemRow, col(ReviewItemRow.id) == col(DecisionRow.item_id))
        .where(
            col(ReviewItemRow.election_id) == row.election_id,
            col(ReviewItemRow.precinct_id) == row.precinct_id,
            col(DecisionRow.action).in_(["paper_says", "confirm_reported"]),
        )
    )
    return frozenset(who for who, keys in found if fields & set(json.loads(keys)))


def check_decision(
    engine: Engine,
    item_id: int,
    reviewer: str,
    action: str,
    reason: str,
    value: int | None,
    max_value: int | None = None,
) -> Plan:
    """The plan of a decision, checked without holding anything: the story calls it
    before claiming, so a refused request never leaves the item held."""
    with Session(engine) as session:
        row = _item(session, item_id)
        _not_frozen(session, row)
        plan = plan_decision(_facts(session, row, max_value), action, reason, value, reviewer)
        if plan.outcome == "entry":
            entry_decides(_entries(session, row), reviewer, plan.value)
        return plan


def decide(
    engine: Engine,
    item_id: int,
    reviewer: str,
    action: str,
    reason: str,
    now: datetime,
    value: int | None = None,
    max_value: int | None = None,
) -> DecisionOutcome:
    """Record `reviewer`'s decision on an item they hold, as the policy allows.

    The transaction starts by taking the claim back with a conditional UPDATE: it locks
    the item (PostgreSQL's row lock; SQLite's write lock), so two requests of the same
    account (two tabs, two tokens) cannot both decide or both key an entry: the second
    finds the claim gone and is refused."""
    with session_scope(engine) as session:
        _take_claim(session, item_id, reviewer, now)
        row = _item(session, item_id)
        _not_frozen(session, row)
        plan = plan_decision(_facts(session, row, max_value), action, reason, value, reviewer)
        if plan.outcome == "entry":
            outcome = _entry(session, row, reviewer, plan, reason, now)
        else:
            outcome = _single(session, row, reviewer, plan, reason, now)
        details = {"value": plan.value, "reason": reason, "status": outcome.status}
        append(session, reviewer, f"item.{plan.action}", f"item/{item_id}", details)
        return outcome


def _item(session: Session, item_id: int) -> ReviewItemRow:
    row = session.get(ReviewItemRow, item_id)
    if row is None:
        raise NotFoundError(f"no review item {item_id}: see `canvass queue`")
    return row


def _not_frozen(session: Session, row: ReviewItemRow) -> None:
    if row.county in frozen_counties(session, row.election_id):
        raise ConflictError(
            f"{row.county} is certified and frozen: an administrator must reopen it first"
        )
    if row.status not in ("open", "waiting"):
        raise ConflictError(f"item {row.id} is already {row.status}")


def _take_claim(session: Session, item_id: int, reviewer: str, now: datetime) -> None:
    """Release `reviewer`'s live claim as the transaction's first write, or refuse."""
    taken = session.execute(
        update(ReviewItemRow)
        .where(
            col(ReviewItemRow.id) == item_id,
            col(ReviewItemRow.claimed_by) == reviewer,
            col(ReviewItemRow.claim_expires_at) > now,
        )
        .values(claimed_by=None, claim_expires_at=None)
    )
    if not cast(CursorResult[Any], taken).rowcount:
        row = _item(session, item_id)
        _not_frozen(session, row)
        raise ConflictError(f"claim item {item_id} first (`canvass resolve {item_id} --claim`)")


def _single(
    session: Session, row: ReviewItemRow, reviewer: str, plan: Plan, reason: str, now: datetime
) -> DecisionOutcome:
    status = "waiting" if plan.outcome == "waits" else "resolved"
    session.add(_decision(row, reviewer, plan.action, plan.value, reason, True, now))
    row.status = status
    said = f": {plan.value}" if plan.outcome == "settles" else ""
    return DecisionOutcome(row.id or 0, status, f"item {row.id} {status}{said}")


def _entries(session: Session, row: ReviewItemRow) -> list[tuple[str, int | None]]:
    found = session.execute(
        select(DecisionRow)
        .where(col(DecisionRow.item_id) == row.id, col(DecisionRow.action) == "paper_says")
        .order_by(col(DecisionRow.id))
    ).scalars()
    return [(d.reviewer, d.value) for d in found]


def _entry(
    session: Session, row: ReviewItemRow, reviewer: str, plan: Plan, reason: str, now: datetime
) -> DecisionOutcome:
    """One entry of a value needing two people: final when it agrees with the first
    entry, or when it is the third."""
    entries = _entries(session, row)
    final = entry_decides(entries, reviewer, plan.value)
    session.add(_decision(row, reviewer, "paper_says", plan.value, reason, final, now))
    if final:
        row.status = "resolved"
        return DecisionOutcome(
            row.id or 0, "resolved", f"item {row.id} resolved: the paper says {plan.value}"
        )
    details = json.loads(row.details_json)
    details["entries"] = len(entries) + 1
    second = "a second blind entry" if is_blind(row.kind) else "a second reviewer to agree"
    details["needs"] = second if not entries else "a third reviewer to decide"
    if len(entries) > 1:
        details["needs"] = "another reviewer whose entry matches one already made"
    row.details_json = json.dumps(details, sort_keys=True)
    return DecisionOutcome(
        row.id or 0, "open", f"entry recorded; item {row.id} needs {details['needs']}"
    )


def _decision(
    row: ReviewItemRow,
    reviewer: str,
    action: str,
    value: int | None,
    reason: str,
    final: bool,
    now: datetime,
) -> DecisionRow:
    return DecisionRow(
        item_id=row.id or 0,
        reviewer=reviewer,
        action=action,
        value=value,
        reason=reason.strip(),
        final=final,
        at=now,
    )


def decided_values(
    engine: Engine, election_id: str, precinct: str | None = None
) -> dict[str, dict[str, int]]:
    """Per precinct, the paper values people have settled: field -> value, from final
    `paper_says` and `confirm_reported` decisions on single-field items (latest wins);
    of `precinct` only, when given."""
    query = (
        select(
            col(ReviewItemRow.precinct_id), col(ReviewItemRow.fields_json), col(DecisionRow.value)
        )
        .join(DecisionRow, col(DecisionRow.item_id) == col(ReviewItemRow.id))
        .where(
            col(ReviewItemRow.election_id) == election_id,
            col(DecisionRow.final).is_(True),
            col(DecisionRow.action).in_(["paper_says", "confirm_reported"]),
            col(DecisionRow.value).is_not(None),
        )
        .order_by(col(DecisionRow.id))
    )
    if precinct is not None:
        query = query.where(col(ReviewItemRow.precinct_id) == precinct)
    decided: dict[str, dict[str, int]] = {}
    with Session(engine) as session:
        for precinct, fields_json, value in session.execute(query):
            fields = json.loads(fields_json)
            if len(fields) == 1 and value is not None:
                decided.setdefault(precinct, {})[fields[0]] = int(value)
    return decided


def decisions_for(engine: Engine, item_id: int) -> list[DecisionRow]:
    with Session(engine) as session:
        return list(
            session.execute(
                select(DecisionRow)
                .where(col(DecisionRow.item_id) == item_id)
                .order_by(col(DecisionRow.id))
            ).scalars()
        )
