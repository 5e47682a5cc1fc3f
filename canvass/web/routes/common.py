"""Role sets and small helpers the route modules share, and the error answers the API
document lists (`errors(...)`, `ErrorAnswer`)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Depends, Path, Query
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from canvass.errors import InputError
from canvass.policy import ItemKind
from canvass.roles import (
    ADMINS,
    CERTIFIER,
    CERTIFIERS,
    EVERYONE,
    REVIEWER,
    REVIEWERS,
    SEE_PHOTOS,
    UPLOADER,
    UPLOADERS,
)
from canvass.web.auth import Principal, Public, Roles

ANYONE = EVERYONE

SignedIn = Annotated[Principal, Depends(Roles(*ANYONE))]
Uploader = Annotated[Principal, Depends(Roles(*UPLOADERS))]
Reviewer = Annotated[Principal, Depends(Roles(*REVIEWERS))]
Certifier = Annotated[Principal, Depends(Roles(*CERTIFIERS))]
Admin = Annotated[Principal, Depends(Roles(*ADMINS))]
PhotoViewer = Annotated[Principal, Depends(Roles(*SEE_PHOTOS))]
Anyone = Annotated[Principal | None, Depends(Public())]
AnyoneJson = Annotated[Principal | None, Depends(Public(csrf=False))]

HOME_OF_ROLE = {UPLOADER: "/upload", REVIEWER: "/review", CERTIFIER: "/certify"}
SHA256_PATTERN = "^[0-9a-fA-F]{64}$"
MAX_ID = 2**31 - 1
"""The largest id the database stores (PostgreSQL's `integer`): a larger one in a path is
refused as invalid (422) instead of reaching the database, which would fail with a 500."""

NO_NUL = "^[^\\x00]*$"
"""The pattern of text the database stores or looks up: PostgreSQL cannot hold the NUL
character (a query with one fails with a 500), so it is refused as invalid (422) first."""

ItemId = Annotated[
    int, Path(ge=1, le=MAX_ID, description="The review item's id (see `GET /api/queue`).")
]
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
KindFilter = Annotated[ItemKind | None, Query(description="Only items of this kind.")]
CountyFilter = Annotated[
    str | None, Query(max_length=128, pattern=NO_NUL, description="Only this county.")
]


class ErrorAnswer(BaseModel):
    """Every refusal under /api answers this shape (canvass/web/errors.py)."""

    error: str = Field(description="What is wrong and what to do about it.")


ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "The body is not well-formed (not JSON, or a broken form): correct it and send again.",
    401: "No valid token: get one with `POST /api/session` and send it as "
    "`Authorization: Bearer <token>`.",
    403: "The account's role does not admit this call (or a browser session's CSRF token "
    "is missing).",
    404: "There is no such thing (the message says which).",
    408: "The body arrived too slowly (only when served by `canvass serve`).",
    409: "The request conflicts with what is stored (the message says what).",
    413: "The body is over the size limit.",
    415: "The body is not of a content type this call takes.",
    422: "The request is not valid (a field missing, too long, out of bounds or not one of "
    "the values listed), or is refused as it stands: the message says what to correct.",
    429: "Too many failed sign-ins from this address or for this name: wait (`Retry-After` "
    "says how long) and try again.",
}


def errors(*codes: int | tuple[int, str]) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route: each status it can refuse with, answered as
    `{"error": "..."}`, with the shared description or the route's own (`(404, "...")`).

    The fuzzer in tests/test_api_fuzz.py fails on any answer the document does not list,
    so a route lists here every refusal it can give."""
    answers: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        status, description = code if isinstance(code, tuple) else (code, None)
        answer: dict[str, Any] = {
            "model": ErrorAnswer,
            "description": description or ERROR_DESCRIPTIONS[status],
        }
        if status == 429:
            answer["headers"] = {
                "Retry-After": {
                    "description": "Seconds to wait before trying again.",
                    "schema": {"type": "integer"},
                }
            }
        answers[status] = answer
    return answers


def see_other(url: str) -> RedirectResponse:
    """After a form: go to `url` with a GET (so a reload does not post again)."""
    return RedirectResponse(url, status_code=303)


def safe_next(target: str | None, fallback: str) -> str:
    """Only a path on this site (never `//other.host` or a full URL)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return fallback


WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")


def whole_number(text: str | None, what: str = "the value") -> int | None:
    """A form's number field: empty is None, anything but a whole number is refused."""
    if text is None or not text.strip():
        return None
    cleaned = text.strip()
    if not WHOLE_NUMBER.fullmatch(cleaned):  # ASCII digits only (not superscripts or other scripts)
        raise InputError(f"{what} must be a whole number of 0 or more (you typed {cleaned!r})")
    return int(cleaned)
