"""Photos in: the upload page, the upload API, and following a photo until it is read.

An upload is acknowledged as soon as intake has stored it (durably: the file is flushed
and renamed, the rows committed) and queued it; reading happens behind (the server's
reader). The same bytes again answer the same record ("duplicate"), so a phone on a poor
connection may retry as often as it likes.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from canvass.errors import InputError, RefusedError
from canvass.model import FieldReading, SheetReading
from canvass.store.views import PhotoState, photo_state, uploaded_by, withheld_fields
from canvass.web.auth import Principal
from canvass.web.context import WebContext, ctx_of, page
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
Sha = Annotated[str, Path(pattern=SHA256_PATTERN, description="The photo's SHA-256 (hex).")]
REFUSALS = errors(
    400,
    401,
    403,
    (404, "The precinct named is not one of the election's."),
    (413, "The photo is over the size limit."),
    (415, "The body is not a JPEG, PNG, HEIC or PDF."),
    (422, "The photo is corrupt, truncated or unreadable, or the precinct is unknown."),
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
    result = await _intake(request, principal.username, None)
    return see_other(f"/upload/{result.sha256}")


@router.get("/upload/{sha256}", response_class=HTMLResponse, include_in_schema=False)
def upload_status_page(request: Request, principal: SignedIn, sha256: Sha) -> Response:
    ctx = ctx_of(request)
    state = shown_to(ctx, photo_state(ctx.engine, sha256), principal)
    return page(request, "upload_status.html", principal, state=state, **_answer(ctx, state))


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
    result = await _intake(request, principal.username, precinct, name)
    answer = UploadAnswer(
        sha256=result.sha256 or "", status=result.status, photo_url=f"/api/photos/{result.sha256}"
    )
    return JSONResponse(answer.model_dump(), status_code=202)


@router.get("/api/photos/{sha256}", response_model=PhotoAnswer, responses=errors(401, 404, 422))
def api_photo(request: Request, principal: SignedIn, sha256: Sha) -> PhotoAnswer:
    """A stored photo's state: queued, read (with the reading, docs/contracts.md section 6, and
    the same in plain words) or rejected (the reason says how to retake it). A field
    waiting for blind entry is withheld (`"withheld": true`, no value) from everyone but
    the uploader who sent the photo."""
    ctx = ctx_of(request)
    return PhotoAnswer(**_answer(ctx, shown_to(ctx, photo_state(ctx.engine, sha256), principal)))


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


def _contract(reading: SheetReading, withheld: frozenset[str]) -> dict[str, Any]:
    """The read result (docs/contracts.md section 6), each withheld field marked."""
    shown = reading.contract_json()
    fields = shown.get("fields")
    if isinstance(fields, dict):
        for key in withheld:
            fields[key] = fields[key] | {"withheld": True}
    return shown


def _answer(ctx: WebContext, state: PhotoState) -> dict[str, Any]:
    reading = state.reading
    return {
        "sha256": state.sha256,
        "status": state.status,
        "precinct": state.precinct,
        "reading": None if reading is None else _contract(reading, state.withheld),
        "read_back": None if reading is None else read_back(reading, ctx.election).as_json(),
    }


@router.get("/photos/{sha256}", include_in_schema=False)
def original_photo(request: Request, _: PhotoViewer, sha256: Sha) -> Response:
    ctx = ctx_of(request)
    state = photo_state(ctx.engine, sha256)
    data = ctx.photos.get(state.blob_key)
    return Response(data, media_type=state.media_type)


async def _intake(
    request: Request, uploader: str, precinct: str | None, name: str | None = None
) -> IntakeResult:
    ctx = ctx_of(request)
    data, given_name, form_precinct = await _photo_bytes(request, ctx.settings.max_photo_bytes)
    declared = (precinct or form_precinct or "").strip().upper() or None
    custody = Custody(uploader=uploader, client_source="web", declared_precinct=declared)
    result = await run_in_threadpool(
        intake_photo, ctx.intake, data, name or given_name or "photo", custody
    )
    if result.status == "rejected":
        reason = result.reason or "the photo was refused"
        if data and sniff_media_type(data) is None:
            raise NotAPhoto(reason)
        raise RefusedError(reason)
    return result


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
