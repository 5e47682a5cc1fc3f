"""Deciding review items: the five decisions, and blind double entry for unreadable values."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from canvass.errors import ConflictError, InputError, NotFoundError
from canvass.store.audit import append
from canvass.store.db import session_scope
from canvass.store.review import ACTIONS, DOUBLE_ENTRY_KINDS, frozen_counties
from canvass.store.tables import DecisionRow, ReviewItemRow

WAITING_ACTIONS = ("request_photo", "escalate")
ACKNOWLEDGED_KINDS = ("math_finding", "missing_report")
ACKNOWLEDGED_KINDS = ("math_finding", "missing_report")


@dataclass(frozen=True)
class DecisionOutcome:
    item_id: int
    status: str  # resolved | waiting | open (an entry awaiting its blind partner or a third)
    message: str


def decide(
    engine: Engine,
    item_id: int,
    reviewer: str,
    action: str,
    reason: str,
    now: datetime,
    value: int | None = None,
) -> DecisionOutcome:
    """Record `reviewer`'s decision on an item they hold."""
    check_request(action, reason, value)
    with session_scope(engine) as session:
        row = _held_item(session, item_id, reviewer, now)
        if action == "confirm_reported" and value is None:
            value = _single_reported(row)
        if row.kind in DOUBLE_ENTRY_KINDS and action == "paper_says":
            outcome = _blind_entry(session, row, reviewer, value, reason, now)
        else:
            outcome = _single_decision(session, row, reviewer, action, value, reason, now)
        row.claimed_by, row.claim_expires_at = None, None
        append(
            session,
            reviewer,
            f"item.{action}",
            f"item/{item_id}",
            {
                "value": value,
                "reason": reason,
                "status": outcome.status,
            },
        )
        return outcome


def check_request(action: str, reason: str, value: int | None) -> None:
    if action not in ACTIONS:
        raise InputError(f"unknown decision {action!r}: use one of {', '.join(ACTIONS)}")
    if not reason.strip():
        raise InputError("give a reason for the decision (--reason)")
    if action == "paper_says" and (value is None or value < 0):
        raise InputError("say what the paper shows (--value N, a count of 0 or more)")


def _single_reported(row: ReviewItemRow) -> int | None:
    """The value `confirm_reported` confirms: the one all sources report (None for items
    without a field value, such as a missing photo)."""
    reported = set(json.loads(row.details_json).get("reported", {}).values())
    if len(reported) > 1:
        raise InputError("the sources disagree: say which value the paper supports (--value N)")
    return reported.pop() if reported else None


def _held_item(session: Session, item_id: int, reviewer: str, now: datetime) -> ReviewItemRow:
    row = session.get(ReviewItemRow, item_id)
    if row is None:
        raise NotFoundError(f"no review item {item_id}: see `canvass queue`")
    if row.county in frozen_counties(session, row.election_id):
        raise ConflictError(
            f"{row.county} is certified and frozen: an administrator must reopen it first"
        )
    if row.status not in ("open", "waiting"):
        raise ConflictError(f"item {item_id} is already {row.status}")
    live = row.claim_expires_at is not None and row.claim_expires_at > now
    if row.claimed_by != reviewer or not live:
        raise ConflictError(f"claim item {item_id} first (`canvass resolve {item_id} --claim`)")
    return row


def _single_decision(
    session: Session,
    row: ReviewItemRow,
    reviewer: str,
    action: str,
    value: int | None,
    reason: str,
    now: datetime,
) -> DecisionOutcome:
    if action == "acknowledge" and row.kind not in ACKNOWLEDGED_KINDS:
        raise InputError(
            "only math findings and missing reports are acknowledged; decide what the paper says"
        )
    if row.kind == "math_finding" and action not in ("acknowledge", "escalate"):
        raise InputError("a worksheet math finding is never fixed: acknowledge it (or escalate)")
    status = "waiting" if action in WAITING_ACTIONS else "resolved"
    session.add(_decision(row, reviewer, action, value, reason, True, now))
    row.status = status
    return DecisionOutcome(row.id or 0, status, f"item {row.id} {status}")


def _blind_entry(
    session: Session,
    row: ReviewItemRow,
    reviewer: str,
    value: int | None,
    reason: str,
    now: datetime,
) -> DecisionOutcome:
    entries = (
        session.execute(
            select(DecisionRow)
            .where(col(DecisionRow.item_id) == row.id, col(DecisionRow.action) == "paper_says")
            .order_by(col(DecisionRow.id))
        )
        .scalars()
        .all()
    )
    if any(e.reviewer == reviewer for e in entries):
        raise ConflictError("you have already keyed this value: another reviewer must key it blind")
    final = _entry_decides(entries, value)
    session.add(_decision(row, reviewer, "paper_says", value, reason, final, now))
    if final:
        row.status = "resolved"
        return DecisionOutcome(
            row.id or 0, "resolved", f"item {row.id} resolved: the paper says {value}"
        )
    details = json.loads(row.details_json)
    details["entries"] = len(entries) + 1
    details["needs"] = "a second blind entry" if not entries else "a third reviewer to decide"
    row.details_json = json.dumps(details, sort_keys=True)
    return DecisionOutcome(
        row.id or 0, "open", f"entry recorded; item {row.id} needs {details['needs']}"
    )


def _entry_decides(entries: Sequence[DecisionRow], value: int | None) -> bool:
    """First entry: never. Second: when it equals the first. Third: always."""
    if not entries:
        return False
    if len(entries) == 1:
        return entries[0].value == value
    return True


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
