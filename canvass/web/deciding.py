"""Claiming and deciding for the pages and the API alike: the store's `check_request`,
`claim` and `decide`, in the order `canvass resolve` uses them (a refused request holds
nothing), and taking the next item a reviewer may decide."""

from __future__ import annotations

from datetime import datetime

from canvass.errors import ConflictError
from canvass.pipeline import decide_and_recheck
from canvass.store.decide import DecisionOutcome, check_request
from canvass.store.review import DOUBLE_ENTRY_KINDS, claim, queue
from canvass.store.types import utcnow
from canvass.web.context import WebContext
from canvass.web.queries import entered_by, review_item


def claim_and_decide(
    ctx: WebContext,
    item_id: int,
    reviewer: str,
    action: str,
    reason: str,
    value: int | None,
    now: datetime,
) -> DecisionOutcome:
    """Decide an item, claiming it first if need be. A second blind entry by the same
    reviewer is refused before the claim, so it does not hold the item from the others."""
    check_request(action, reason, value)
    item = review_item(ctx.engine, item_id)
    if item.kind in DOUBLE_ENTRY_KINDS and entered_by(ctx.engine, reviewer, [item_id]):
        raise ConflictError("you have already keyed this value: another reviewer must key it blind")
    claim(ctx.engine, item_id, reviewer, now)
    return decide_and_recheck(
        ctx.engine, ctx.election, item.precinct_id, item_id, reviewer, action, reason, now, value
    )


def take_next(ctx: WebContext, reviewer: str, county: str | None, kind: str | None) -> int | None:
    """Claim the open item with the most effect this reviewer may take (not held by
    another, not one they already keyed blind); None when there is none. Items waiting
    for a new photo or for the county chair stay in the list but are not handed out."""
    items = queue(ctx.engine, ctx.election.id, county or None, kind or None)
    done = entered_by(ctx.engine, reviewer, [i.id for i in items])
    now = utcnow()
    for item in items:
        if item.id in done or item.status != "open":
            continue
        try:
            claim(ctx.engine, item.id, reviewer, now)
        except ConflictError:
            continue
        return item.id
    return None
