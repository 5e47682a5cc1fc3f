"""Photos in: the upload page, the upload API, and following a photo until it is read.

An upload is acknowledged as soon as intake has stored it (durably: the file is flushed
and renamed, the rows committed) and queued it; reading happens behind (the server's
reader). The same bytes again answer the same record ("duplicate"), so a phone on a poor
connection may retry as often as it likes.

A typed precinct is optional: an unknown one does not refuse the photo (the sheet's code
names its precinct) and is said back beside the sheet's; "No, something differs" is the
uploader's report to the reviewers (`canvass.stories.uploader`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field, StringConstraints
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from canvass.errors import InputError, RefusedError
from canvass.model import FieldReading, SheetReading
from canvass.roles import UPLOADERS
from canvass.store.claims import typed_precinct
from canvass.store.types import utcnow
from canvass.store.views import PhotoState, photo_state, uploaded_by, withheld_fields
from canvass.stories.uploader import (
    TypedPrecinct,
    claim_lines,
    may_report,
    note_typed_precinct,
    report_difference,
    typed_precinct_of,
)
from canvass.web.auth import Principal
from canvass.web.context import WebContext, ctx_of, flash, page
from canvass.web.readback import precinct_title, read_back
from canvass.web.routes.common import (
    NO_NUL,
    SHA256_PATTERN,
    PhotoViewer,
    SignedIn,
    Uploader,
    errors,
    see_other,
)
from ingest.photos import Custody, IntakeResult, intake_photo
from ingest.sniff import sniff_media_type

router = APIRouter()
RAW_TYPES = ("image/jpeg", "image/png", "image/heic", "image/heif", "application/pdf")
MAX_COUNT = 2**31 - 1
Sha = Annotated[str, Path(pattern=SHA256_PATTERN, description="The photo's SHA-256 (hex).")]
REFUSALS = errors(
    400,
    401,
    403,
    (413, "The photo is over the size limit."),
    (415, "The body is not a JPEG, PNG, HEIC or PDF."),
    (422, "The photo is corrupt, truncated or unreadable."),
)
CLAIM_REFUSALS = errors(
    400,
    401,
    (403, "The photo is another person's: only the one who sent it says what it shows."),
    (404, "There is no stored photo with that digest."),
    (
        409,
        "The photo is not read as a sheet, its county is certified, or too many "
        "corrections were sent for it.",
    ),
    (422, "A field that is not on the sheet, or a number its boxes cannot hold."),
)
PHOTO_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            **{kind: {"schema": {"type": "string", "format": "binary"}} for kind in RAW_TYPES},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["photo"],
                    "properties": {
                        "photo": {"type": "string", "format": "binary"},
                        "precinct": {"type": "string", "maxLength": 64},
                    },
                }
            },
        },
    }
}
"""The body `api_upload` reads itself (raw or a form), as the document shows it."""


WITHHELD = FieldReading(value=None, confidence=0.0, status="unreadable")
"""What a field waiting for blind entry shows to those who must key it blind."""


class UploadAnswer(BaseModel):
    sha256: str
    status: str
    photo_url: str
    precinct_note: str | None = None


FieldKey = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=NO_NUL)]
Count = Annotated[int, Field(strict=True, ge=0, le=MAX_COUNT)]


class DiffersBody(BaseModel):
    """ "No, something differs": each field that differs and the number the sheet shows."""

    fields: dict[FieldKey, Count] = Field(min_length=1, max_length=64)


class ClaimAnswer(BaseModel):
    id: int
    photo: str
    uploader: str
    precinct: str | None
    fields: dict[str, int]
    at: str
    replayed: bool


class PhotoAnswer(BaseModel):
    sha256: str
    status: str
    precinct: str | None
    reading: dict[str, Any] | None
    read_back: dict[str, Any] | None


class TooLarge(RefusedError):
    http_status = 413


class NotAPhoto(RefusedError):
    http_status = 415


@router.get("/upload", response_class=HTMLResponse, include_in_schema=False)
def upload_page(request: Request, principal: Uploader) -> Response:
    return page(request, "upload.html", principal)


@router.post("/upload", include_in_schema=False)
async def upload_form(request: Request, principal: Uploader) -> Response:
    """The page's form without JavaScript: store, then show the photo's own page."""
    result, typed = await _intake(request, principal.username, None)
    if typed is not None and not typed.known:
        flash(request, _unknown_note(typed)[0].upper() + _unknown_note(typed)[1:] + ".")
    return see_other(f"/upload/{result.sha256}")


@router.get("/upload/{sha256}", response_class=HTMLResponse, include_in_schema=False)
def upload_status_page(request: Request, principal: SignedIn, sha256: Sha) -> Response:
    ctx = ctx_of(request)
    state = shown_to(ctx, photo_state(ctx.engine, sha256), principal)
    answer = _answer(ctx, state, principal)
    return page(request, "upload_status.html", principal, state=state, **answer)


@router.post("/upload/{sha256}/differs", include_in_schema=False)
def differs_form(
    request: Request,
    principal: Uploader,
    sha256: Sha,
    field: Annotated[str, Form(max_length=128, pattern=NO_NUL)],
    value: Annotated[str, Form(max_length=32)],
) -> Response:
    """The status page's "No, something differs" without JavaScript: one field at a time."""
    ctx = ctx_of(request)
    number = value.strip()
    if not number.isdigit():
        raise InputError(f"{value[:32]!r} is not a number: type the number the sheet shows")
    claim = report_difference(
        ctx.engine, ctx.election, sha256, principal.username, {field: int(number)}, utcnow()
    )
    flash(request, "Sent to the reviewers: " + "; ".join(claim_lines(ctx.election, claim)) + ".")
    return see_other(f"/upload/{claim.sha256}")


@router.post(
    "/api/photos/{sha256}/differs",
    status_code=201,
    response_model=ClaimAnswer,
    responses={
        200: {"model": ClaimAnswer, "description": "The same report, already stored."},
        **CLAIM_REFUSALS,
    },
)
def api_differs(
    request: Request, principal: Uploader, sha256: Sha, body: DiffersBody
) -> JSONResponse:
    """ "No, something differs": the person who sent the photo says which fields the machine
    read wrong and what the sheet shows. Stored and audited as evidence for the reviewers
    of those fields; it changes no number by itself. The same report again answers the
    same record (`replayed`)."""
    ctx = ctx_of(request)
    claim = report_difference(
        ctx.engine, ctx.election, sha256, principal.username, dict(body.fields), utcnow()
    )
    answer = ClaimAnswer(**claim.as_json())
    return JSONResponse(answer.model_dump(), status_code=200 if claim.replayed else 201)


@router.post(
    "/api/photos",
    status_code=202,
    response_model=UploadAnswer,
    responses=REFUSALS,
    openapi_extra=PHOTO_BODY,
)
async def api_upload(
    request: Request,
    principal: Uploader,
    precinct: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
    name: Annotated[str | None, Query(max_length=255, pattern=NO_NUL)] = None,
) -> JSONResponse:
    """Store one photo: the raw image as the body (image/jpeg, image/png, image/heic or
    application/pdf) or multipart/form-data with the field `photo`. Answers once the photo
    is stored and queued for reading; sending the same photo again is safe."""
    result, typed = await _intake(request, principal.username, precinct, name)
    answer = UploadAnswer(
        sha256=result.sha256 or "",
        status=result.status,
        photo_url=f"/api/photos/{result.sha256}",
        precinct_note=None if typed is None or typed.known else _unknown_note(typed),
    )
    return JSONResponse(answer.model_dump(), status_code=202)


def _unknown_note(typed: TypedPrecinct) -> str:
    return (
        f"{typed.text} is not a precinct of this election: the photo is kept, and the "
        "sheet's code says which precinct it is"
    )


@router.get("/api/photos/{sha256}", response_model=PhotoAnswer, responses=errors(401, 404, 422))
def api_photo(request: Request, principal: SignedIn, sha256: Sha) -> PhotoAnswer:
    """A stored photo's state: queued, read (with the reading, docs/contracts.md section 6, and
    the same in plain words) or rejected (the reason says how to retake it). A field
    waiting for blind entry is withheld (`"withheld": true`, no value) from everyone but
    the uploader who sent the photo."""
    ctx = ctx_of(request)
    state = shown_to(ctx, photo_state(ctx.engine, sha256), principal)
    return PhotoAnswer(**_answer(ctx, state, principal))


def shown_to(ctx: WebContext, state: PhotoState, principal: Principal) -> PhotoState:
    """The photo's state as `principal` may see it: the uploader who sent it keeps their
    read-back; anyone else sees no machine guess for fields waiting for blind entry."""
    if state.reading is None:
        return state
    if principal.role == "uploader" and uploaded_by(ctx.engine, state.sha256, principal.username):
        return state
    hidden = withheld_fields(ctx.engine, ctx.election.id, state.reading.precinct)
    if not hidden & set(state.reading.fields):
        return state
    withheld = frozenset(hidden & set(state.reading.fields))
    fields = {k: WITHHELD if k in withheld else f for k, f in state.reading.fields.items()}
    reading = state.reading.model_copy(update={"fields": fields})
    return replace(state, reading=reading, withheld=withheld)


def _may_report(ctx: WebContext, state: PhotoState, principal: Principal) -> bool:
    return principal.role in UPLOADERS and may_report(
        ctx.engine, ctx.election, state, principal.username
    )


def _contract(reading: SheetReading, withheld: frozenset[str]) -> dict[str, Any]:
    """The read result (docs/contracts.md section 6), each withheld field marked."""
    shown = reading.contract_json()
    fields = shown.get("fields")
    if isinstance(fields, dict):
        for key in withheld:
            fields[key] = fields[key] | {"withheld": True}
    return shown


def _answer(ctx: WebContext, state: PhotoState, principal: Principal) -> dict[str, Any]:
    """The photo's state for `principal`; the read-back says what they typed with it."""
    reading = state.reading
    typed = typed_precinct(ctx.engine, state.photo_id, principal.username)
    back = None if reading is None else read_back(reading, ctx.election, typed).as_json()
    if back is not None and not _may_report(ctx, state, principal):
        back["choices"] = []  # "something differs" is offered only where it is taken
    return {
        "sha256": state.sha256,
        "status": state.status,
        "precinct": state.precinct,
        "reading": None if reading is None else _contract(reading, state.withheld),
        "read_back": back,
    }


@router.get("/photos/{sha256}", include_in_schema=False)
def original_photo(request: Request, _: PhotoViewer, sha256: Sha) -> Response:
    ctx = ctx_of(request)
    state = photo_state(ctx.engine, sha256)
    data = ctx.photos.get(state.blob_key)
    return Response(data, media_type=state.media_type)


async def _intake(
    request: Request, uploader: str, precinct: str | None, name: str | None = None
) -> tuple[IntakeResult, TypedPrecinct | None]:
    """Store the photo; a typed precinct is declared only when it is the election's (an
    unknown one is kept to say back, and the sheet's code names the precinct)."""
    ctx = ctx_of(request)
    data, given_name, form_precinct = await _photo_bytes(request, ctx.settings.max_photo_bytes)
    typed = typed_precinct_of(precinct or form_precinct, ctx.election)
    declared = typed.text if typed is not None and typed.known else None
    custody = Custody(uploader=uploader, client_source="web", declared_precinct=declared)
    result = await run_in_threadpool(
        intake_photo, ctx.intake, data, name or given_name or "photo", custody
    )
    if result.status == "rejected":
        reason = result.reason or "the photo was refused"
        if data and sniff_media_type(data) is None:
            raise NotAPhoto(reason)
        raise RefusedError(reason)
    if typed is not None and not typed.known and result.sha256:
        await run_in_threadpool(
            note_typed_precinct, ctx.engine, ctx.election, result.sha256, uploader, typed, utcnow()
        )
    return result, typed


async def _photo_bytes(request: Request, limit: int) -> tuple[bytes, str | None, str | None]:
    """(the photo's bytes, its file name, a precinct typed in the form) from a raw body or
    a multipart form; refused by size before the body is read when it says its length."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + 64_000:
        raise _too_large(int(declared), limit)
    if kind == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=8)
        photo = form.get("photo")
        if not isinstance(photo, UploadFile):
            raise InputError("the form has no photo: choose or take a photo, then send it")
        data = await photo.read()
        precinct = form.get("precinct")
        typed = precinct if isinstance(precinct, str) else None
        if len(data) > limit:
            raise _too_large(len(data), limit)
        return data, photo.filename, typed
    if kind not in RAW_TYPES:
        raise NotAPhoto(
            f"send the photo as the body (Content-Type image/jpeg, image/png, image/heic or "
            f"application/pdf) or as the form field 'photo', not {kind or 'no content type'}"
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(size, limit)
        chunks.append(chunk)
    return b"".join(chunks), None, None


def _too_large(size: int, limit: int) -> TooLarge:
    return TooLarge(
        f"the photo is {size / 1e6:.1f} MB or more, over the {limit / 1e6:.0f} MB limit: "
        "send it at the phone's normal size"
    )


__all__ = ["precinct_title", "router"]
