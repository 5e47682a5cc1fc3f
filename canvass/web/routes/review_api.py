"""The review queue as JSON: the same store calls as the pages and `canvass resolve`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from canvass.policy import Action
from canvass.store.review import queue
from canvass.store.types import utcnow
from canvass.stories.review import claim_item, release_item
from canvass.web.context import ctx_of
from canvass.web.deciding import claim_and_decide
from canvass.web.itemview import item_view, queue_json
from canvass.web.routes.common import (
    NO_NUL,
    CountyFilter,
    ItemId,
    KindFilter,
    Reviewer,
    errors,
)

router = APIRouter(prefix="/api", tags=["review"])


class Decision(BaseModel):
    action: Action = Field(
        description="What the item's kind allows (see `actions` on the item): paper_says "
        "(value: what the paper shows), confirm_reported (value, when the sources disagree: "
        "which reported value is right; the server takes it from the report), "
        "request_photo, escalate or acknowledge (no value)."
    )
    reason: str = Field(min_length=1, max_length=2000, pattern=NO_NUL)
    value: int | None = Field(
        default=None, ge=0, le=99_999, description="A count, as the field's boxes can hold."
    )


class DecisionAnswer(BaseModel):
    id: int
    status: str
    message: str


class ClaimAnswer(BaseModel):
    id: int
    status: str
    claimed_until: str | None


@router.get("/queue", responses=errors(401, 403, 422))
def api_queue(
    request: Request,
    _: Reviewer,
    county: CountyFilter = None,
    kind: KindFilter = None,
) -> list[dict[str, Any]]:
    """Open and waiting items, those that move the most SDE first (as `canvass queue`;
    items keyed blind do not show the reported value)."""
    ctx = ctx_of(request)
    items = queue(ctx.engine, ctx.election.id, county, kind)
    now = utcnow()
    return [queue_json(i, now, ctx.election) for i in items]


@router.get("/items/{item_id}", responses=errors(401, 403, 404, 422))
def api_item(request: Request, principal: Reviewer, item_id: ItemId) -> dict[str, Any]:
    """One item with the machine reading of its fields, each source's value and the
    precinct's math findings (blind items show neither values nor other entries)."""
    view = item_view(ctx_of(request), item_id, principal.username, utcnow())
    return view.as_json()


@router.post(
    "/items/{item_id}/claim", response_model=ClaimAnswer, responses=errors(401, 403, 404, 409, 422)
)
def api_claim(request: Request, principal: Reviewer, item_id: ItemId) -> ClaimAnswer:
    """Hold the item for 15 minutes (refused while another reviewer holds it)."""
    now = utcnow()
    claim_item(ctx_of(request).engine, item_id, principal.username, now)
    view = item_view(ctx_of(request), item_id, principal.username, now)
    until = view.held_until.isoformat() if view.held_until else None
    return ClaimAnswer(id=item_id, status="claimed", claimed_until=until)


@router.post(
    "/items/{item_id}/decision",
    response_model=DecisionAnswer,
    responses=errors(400, 401, 403, 404, 409, 422),
)
def api_decide(
    request: Request, principal: Reviewer, item_id: ItemId, decision: Decision
) -> DecisionAnswer:
    """Claim (if not held already) and decide; a reason is always required."""
    outcome = claim_and_decide(
        ctx_of(request),
        item_id,
        principal.username,
        decision.action,
        decision.reason,
        decision.value,
        utcnow(),
    )
    return DecisionAnswer(id=outcome.item_id, status=outcome.status, message=outcome.message)


@router.post(
    "/items/{item_id}/release",
    response_model=ClaimAnswer,
    responses=errors(401, 403, 404, 409, 422),
)
def api_release(request: Request, principal: Reviewer, item_id: ItemId) -> ClaimAnswer:
    """Give up your claim on the item, so another reviewer can take it at once."""
    release_item(ctx_of(request).engine, item_id, principal.username)
    return ClaimAnswer(id=item_id, status="released", claimed_until=None)
