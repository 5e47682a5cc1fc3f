"""Deciding for the pages and the API alike: `canvass.stories.review.decide_item` (the story
`canvass resolve` tells), and taking the next item a reviewer may decide."""

from __future__ import annotations

from datetime import datetime

from canvass.errors import ConflictError
from canvass.store.decide import DecisionOutcome
from canvass.store.review import claim, queue
from canvass.store.types import utcnow
from canvass.store.views import certified_scopes, entered_by
from canvass.stories.review import decide_item
from canvass.web.context import WebContext


def claim_and_decide(
    ctx: WebContext,
    item_id: int,
    reviewer: str,
    action: str,
    reason: str,
    value: int | None,
    now: datetime,
) -> DecisionOutcome:
    """Decide an item, claiming it first if need be (refused requests hold nothing)."""
    return decide_item(ctx.engine, ctx.election, item_id, reviewer, action, reason, now, value)


def take_next(ctx: WebContext, reviewer: str, county: str | None, kind: str | None) -> int | None:
    """Claim the open item with the most effect this reviewer may take (not held by
    another, not one they already keyed, not in a certified county); None when there is
    none. Items waiting for a new photo or for the county chair stay in the list but are
    not handed out."""
    items = queue(ctx.engine, ctx.election.id, county or None, kind or None)
    done = entered_by(ctx.engine, reviewer, [i.id for i in items])
    frozen = certified_scopes(ctx.engine, ctx.election.id)
    now = utcnow()
    for item in items:
        if item.id in done or item.status != "open" or item.county in frozen:
            continue
        try:
            claim(ctx.engine, item.id, reviewer, now)
        except ConflictError:
            continue
        return item.id
    return None
