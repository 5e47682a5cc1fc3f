"""The review queue for people: the queue by effect, one item with its crop and sources,
and the decisions, made from the keyboard (1-5 choose, Enter decides, then the next item).

Claims and decisions are the stories `canvass resolve` and `canvass release` tell
(`canvass.stories.review`), so the same policy holds (a live claim is exclusive, a reason is
required, blind double entry, "the report is right" takes the report's value, frozen
counties refuse). The form's "The paper shows" box belongs to "The paper says" only: with
any other choice it is not sent on.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from canvass.errors import InputError, NotFoundError
from canvass.forms.registry import form_of
from canvass.model import Election
from canvass.policy import BLIND_KINDS
from canvass.store.review import queue
from canvass.store.types import utcnow
from canvass.stories.review import claim_item, release_item
from canvass.web.context import ctx_of, flash, page
from canvass.web.deciding import claim_and_decide, take_next
from canvass.web.itemview import blind_message, county_names, item_view
from canvass.web.routes.common import (
    NO_NUL,
    ItemId,
    PhotoViewer,
    Reviewer,
    RowId,
    see_other,
    whole_number,
)
from canvass.wording import KIND_TEXT

router = APIRouter()
CROP_NAME = r"^[A-Za-z0-9_.-]+\.(png|jpg)$"
Filter = Annotated[str | None, Query(max_length=128, pattern=NO_NUL)]
FormFilter = Annotated[str, Form(max_length=128, pattern=NO_NUL)]


def _filters(county: str | None, kind: str | None) -> str:
    query = {k: v for k, v in (("county", county), ("kind", kind)) if v}
    return f"?{urlencode(query)}" if query else ""


@router.get("/review", response_class=HTMLResponse, include_in_schema=False)
def queue_page(
    request: Request, principal: Reviewer, county: Filter = None, kind: Filter = None
) -> Response:
    ctx = ctx_of(request)
    items = queue(ctx.engine, ctx.election.id, county or None, kind or None)
    everything = queue(ctx.engine, ctx.election.id) if county or kind else items
    with_items = {i.county for i in everything}
    return page(
        request,
        "review_queue.html",
        principal,
        items=items,
        county=county or "",
        kind=kind or "",
        counties=[c for c in county_names(ctx.election) if c in with_items],
        kinds=sorted({i.kind for i in everything}),
        kind_text=KIND_TEXT,
        blind_message=lambda i: blind_message(i, ctx.election),
        blind_kinds=BLIND_KINDS,
        now=utcnow(),
        filters=_filters(county, kind),
    )


@router.post("/review/next", include_in_schema=False)
async def next_item(
    request: Request, principal: Reviewer, county: FormFilter = "", kind: FormFilter = ""
) -> Response:
    ctx = ctx_of(request)
    found = await run_in_threadpool(take_next, ctx, principal.username, county, kind)
    if found is None:
        flash(request, "Nothing left for you to review here.")
        return see_other(f"/review{_filters(county, kind)}")
    return see_other(f"/review/items/{found}{_filters(county, kind)}")


@router.get("/review/items/{item_id}", response_class=HTMLResponse, include_in_schema=False)
def item_page(
    request: Request,
    principal: PhotoViewer,
    item_id: ItemId,
    county: Filter = None,
    kind: Filter = None,
) -> Response:
    """An item's page: reviewers decide on it; a certifier, led here from what blocks a
    sign-off, reads it (every decision stays a reviewer's: the POSTs admit reviewers)."""
    ctx = ctx_of(request)
    view = item_view(ctx, item_id, principal.username, utcnow())
    return page(
        request,
        "review_item.html",
        principal,
        view=view,
        county=county or "",
        kind=kind or "",
        filters=_filters(county, kind),
    )


@router.post("/review/items/{item_id}/claim", include_in_schema=False)
def claim_page(
    request: Request,
    principal: Reviewer,
    item_id: ItemId,
    county: FormFilter = "",
    kind: FormFilter = "",
) -> Response:
    claim_item(ctx_of(request).engine, item_id, principal.username, utcnow())
    return see_other(f"/review/items/{item_id}{_filters(county, kind)}")


@router.post("/review/items/{item_id}/decide", include_in_schema=False)
def decide_item(
    request: Request,
    principal: Reviewer,
    item_id: ItemId,
    action: Annotated[str, Form(max_length=48)],
    reason: Annotated[str, Form(max_length=2000, pattern=NO_NUL)] = "",
    value: Annotated[str, Form(max_length=16)] = "",
    county: FormFilter = "",
    kind: FormFilter = "",
) -> Response:
    ctx = ctx_of(request)
    now = utcnow()
    try:
        chosen, number = form_choice(action, value)
        outcome = claim_and_decide(ctx, item_id, principal.username, chosen, reason, number, now)
    except InputError as mistake:  # the reviewer can correct it on the same page
        flash(request, mistake.message[0].upper() + mistake.message[1:] + ".", "error")
        return see_other(f"/review/items/{item_id}{_filters(county, kind)}")
    flash(request, outcome.message[0].upper() + outcome.message[1:] + ".")
    found = take_next(ctx, principal.username, county, kind)
    if found is None:
        flash(request, "That was the last item for you here.")
        return see_other(f"/review{_filters(county, kind)}")
    return see_other(f"/review/items/{found}{_filters(county, kind)}")


def form_choice(action: str, typed: str) -> tuple[str, int | None]:
    """(action, value) from the form: `confirm_reported=N` picks one reported value; the
    typed "The paper shows" number goes only with `paper_says`."""
    name, _, picked = action.partition("=")
    if picked:
        return name, whole_number(picked, "the reported value")
    if name == "paper_says":
        return name, whole_number(typed, "the value the paper shows")
    return name, None


@router.post("/review/items/{item_id}/release", include_in_schema=False)
def release_page(
    request: Request,
    principal: Reviewer,
    item_id: ItemId,
    county: FormFilter = "",
    kind: FormFilter = "",
) -> Response:
    release_item(ctx_of(request).engine, item_id, principal.username)
    flash(request, f"Item {item_id} is free again.")
    return see_other(f"/review{_filters(county, kind)}")


def _crop_name(name: str, election: Election) -> bool:
    """A crop's name: plain (`sheet.jpg`, `first.Biden.png`), or a count of the form whose
    key holds spaces (a ballot line `total.Donald J. Trump and ...`): the reader stores each
    field's crop under its key."""
    if re.match(CROP_NAME, name):
        return True
    keys = form_of(election).number_keys(election.candidates)
    return name.endswith(".png") and name.removesuffix(".png") in keys


@router.get("/crops/{photo_id}/{name}", include_in_schema=False)
def crop(request: Request, _: PhotoViewer, photo_id: RowId, name: str) -> Response:
    """A field's crop or the corrected sheet, as the reader stored them."""
    ctx = ctx_of(request)
    if not _crop_name(name, ctx.election):
        raise NotFoundError("no such crop")
    key = f"{photo_id}/{name}"
    if not ctx.crops.exists(key):
        raise NotFoundError(f"no crop {name} for photo {photo_id}: the photo may not be read yet")
    kind = "image/png" if name.endswith(".png") else "image/jpeg"
    return Response(ctx.crops.get(key), media_type=kind)
