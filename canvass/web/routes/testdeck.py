"""The test deck's page and API, for administrators only: how the reader did on each
county's logic-and-accuracy test sheets (`canvass/stories/testdeck.py`, the same story as
`canvass testdeck report`), the crop of every misread, and an upload for test photos.

A test photo uploaded anywhere (here, `/upload`, the API, `canvass ingest`) is read like
any other and kept apart by its QR code; one uploaded here is also recorded as a test
photo in its custody (client source `testdeck`), so a refusal is counted in the report
(a refused photo's QR code is never read).
"""

from __future__ import annotations

import tempfile
from pathlib import Path as FilePath
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from canvass.errors import InputError, NotFoundError, RefusedError
from canvass.store.tables import TEST_SOURCE
from canvass.store.testdeck import decks
from canvass.store.types import utcnow
from canvass.stories.testdeck import (
    create_deck,
    crop_key_of_test_photo,
    deck_report,
    field_labels,
    print_deck,
)
from canvass.web.context import ctx_of, flash, page
from canvass.web.routes.common import (
    MAX_ID,
    NO_NUL,
    Admin,
    CountyFilter,
    errors,
    see_other,
    whole_number,
)
from ingest.photos import Custody, intake_photo

router = APIRouter()
PhotoId = Annotated[int, Path(ge=1, le=MAX_ID, description="The test photo's id.")]
FieldIndex = Annotated[int, Path(ge=0, le=999, description="The field's place on the sheet.")]
DeckId = Annotated[int, Path(ge=1, le=MAX_ID, description="The test deck's id.")]


@router.get("/testdeck", response_class=HTMLResponse, include_in_schema=False)
def testdeck_page(request: Request, principal: Admin, county: CountyFilter = None) -> Response:
    ctx = ctx_of(request)
    report = deck_report(ctx.engine, ctx.election, county or None)
    labels = field_labels(ctx.election)
    return page(
        request,
        "testdeck.html",
        principal,
        report=report,
        found=report.as_json(labels),
        labels=labels,
        county=county or "",
        decks=decks(ctx.engine, ctx.election.id),
    )


@router.post("/testdeck/decks", include_in_schema=False)
def testdeck_create(
    request: Request,
    principal: Admin,
    county: Annotated[str, Form(max_length=128, pattern=NO_NUL)] = "",
    sheets: Annotated[str, Form(max_length=9, pattern=NO_NUL)] = "",
    seed: Annotated[str, Form(max_length=9, pattern=NO_NUL)] = "",
) -> Response:
    """Script and store a county's deck (the story `canvass testdeck` tells); its PDF is
    then on the page's list of decks."""
    ctx = ctx_of(request)
    count = whole_number(sheets, "the number of sheets")
    chosen = whole_number(seed, "the seed")
    with tempfile.TemporaryDirectory() as folder:
        made = create_deck(
            ctx.engine, ctx.election, county, FilePath(folder) / "deck.pdf",
            principal.username, utcnow(), seed=1 if chosen is None else chosen, sheets=count,
        )  # fmt: skip
    flash(request, f"Test deck {made.deck_id} of {made.county}: {len(made.sheets)} sheets.")
    return see_other(f"/testdeck?county={quote(made.county)}")


@router.get("/testdeck/decks/{deck_id}.pdf", include_in_schema=False)
def testdeck_pdf(request: Request, principal: Admin, deck_id: DeckId) -> Response:
    """A stored deck's PDF (printed again from its stored scripts: the same sheets)."""
    ctx = ctx_of(request)
    with tempfile.TemporaryDirectory() as folder:
        out = FilePath(folder) / "deck.pdf"
        print_deck(ctx.engine, ctx.election, deck_id, out)
        data = out.read_bytes()
    name = f"testdeck-{deck_id}.pdf"
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/api/testdeck", responses=errors(401, 403, 404, 422))
def api_testdeck(request: Request, principal: Admin, county: CountyFilter = None) -> dict[str, Any]:
    """The test decks' report (administrators): per county and per test sheet, the fields
    read, right, misread, unsure and verified against the script, each misread, the
    refused test photos with their reasons, and what the review queue would have held."""
    ctx = ctx_of(request)
    report = deck_report(ctx.engine, ctx.election, county or None)
    return report.as_json(field_labels(ctx.election))


@router.get("/testdeck/crop/{photo_id}/{index}.png", include_in_schema=False)
def testdeck_crop(
    request: Request, principal: Admin, photo_id: PhotoId, index: FieldIndex
) -> Response:
    """The crop of field `index` (its place in the sheet's script) of a test photo; only a
    test photo's crops are served here."""
    ctx = ctx_of(request)
    key = crop_key_of_test_photo(ctx.engine, ctx.election, photo_id, index)
    if not ctx.crops.exists(key):
        raise NotFoundError("this field's crop was not kept for the test photo")
    return Response(ctx.crops.get(key), media_type="image/png")


@router.post("/testdeck/upload", include_in_schema=False)
async def testdeck_upload(request: Request, principal: Admin) -> Response:
    """A test photo from the page's form: stored like any photo, its custody saying it is
    a test photo; then its own page, which follows the reading."""
    ctx = ctx_of(request)
    form = await request.form(max_files=1, max_fields=8)
    photo = form.get("photo")
    if not isinstance(photo, UploadFile):
        raise InputError("the form has no photo: choose or take a photo, then send it")
    data = await photo.read()
    if len(data) > ctx.settings.max_photo_bytes:
        raise RefusedError("the photo is over the size limit: send it at the phone's normal size")
    typed = form.get("precinct")
    declared = (typed if isinstance(typed, str) else "").strip().upper() or None
    custody = Custody(
        uploader=principal.username, client_source=TEST_SOURCE, declared_precinct=declared
    )
    result = await run_in_threadpool(
        intake_photo, ctx.intake, data, photo.filename or "photo", custody
    )
    if result.status == "rejected":
        raise RefusedError(result.reason or "the photo was refused")
    return see_other(f"/upload/{result.sha256}")
