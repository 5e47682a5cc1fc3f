"""The reviewer's stories, told once for the command line, the pages and the API:
claim an item, release it, decide it.

Deciding checks the decision against the policy first (nothing is held when it is
refused), claims the item if need be, records the decision (`canvass.store.decide`), and,
once the item is settled, reconciles the precinct again: a value people settled is certain
evidence in the sheet's sums and may settle more of the sheet, and a keyed value that
breaks the sheet's bounds raises its math finding at once. Any error after the claim
releases it, so a refused or failed decision never leaves the item held.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Engine

from canvass.errors import ConflictError
from canvass.model import Election
from canvass.roles import REVIEWERS
from canvass.store.accounts import acting_account
from canvass.store.decide import DecisionOutcome, check_decision, decide
from canvass.store.queue_list import blind_message as blind_message  # listing, re-exported
from canvass.store.queue_list import queue_json as queue_json
from canvass.store.review import QueueItem, claim, release
from canvass.store.review import queue_item_by_id as item_by_id
from canvass.worksheet.layout import build_layout


def field_max(election: Election, fields: list[str]) -> int | None:
    """The largest number a single-field item's boxes can hold (None for other items)."""
    if len(fields) != 1:
        return None
    layout = build_layout(election)
    combs = {f.key: f for f in (*layout.fields, layout.delegates_to_elect)}
    found = combs.get(fields[0])
    return 10 ** len(found.boxes) - 1 if found is not None and found.boxes else None


def reviewer_named(engine: Engine, username: str) -> str:
    """`username` when it is an active reviewer's (or administrator's) account."""
    name = username.strip() or "NAME"
    command = f"canvass users add {name} --role reviewer"
    return acting_account(engine, username, REVIEWERS, "reviewer", command, "review").username


def claim_item(engine: Engine, item_id: int, reviewer: str, now: datetime) -> QueueItem:
    """Hold an item for 15 minutes (refused while another reviewer's claim is live)."""
    return claim(engine, item_id, reviewer_named(engine, reviewer), now)


def release_item(engine: Engine, item_id: int, reviewer: str) -> None:
    """Give up a claim, so another reviewer can take the item at once."""
    release(engine, item_id, reviewer_named(engine, reviewer))


def decide_item(
    engine: Engine,
    election: Election,
    item_id: int,
    reviewer: str,
    action: str,
    reason: str,
    now: datetime,
    value: int | None = None,
) -> DecisionOutcome:
    """Check, claim (if not held already), decide, then re-check the precinct."""
    reviewer = reviewer_named(engine, reviewer)
    item = item_by_id(engine, item_id)
    limit = field_max(election, item.fields)
    check_decision(engine, item_id, reviewer, action, reason, value, limit)
    claim(engine, item_id, reviewer, now)
    try:
        outcome = decide(engine, item_id, reviewer, action, reason, now, value, limit)
    except Exception:
        with suppress(ConflictError):  # nothing to give back when the claim is gone already
            release(engine, item_id, reviewer)
        raise
    if outcome.status != "resolved":
        return outcome
    # imported here: reconciling brings the reader's box arithmetic (numpy), which
    # listing the queue (`canvass queue`, the queue page) does not need
    from canvass.stories.reconcile import recheck_precinct

    settled = recheck_precinct(engine, election, item.precinct_id, now)
    if not settled:
        return outcome
    more = f"{settled} more item{'s' if settled > 1 else ''}"
    message = f"{outcome.message}; with it the sheet's sums settle {more} of {item.precinct_id}"
    return replace(outcome, message=message)
