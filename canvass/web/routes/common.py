"""Role sets and small helpers the route modules share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.responses import RedirectResponse

from canvass.errors import InputError
from canvass.web.auth import Principal, Public, Roles

ANYONE = ("uploader", "reviewer", "certifier", "admin")
UPLOADERS = ("uploader", "admin")
REVIEWERS = ("reviewer", "admin")
CERTIFIERS = ("certifier", "admin")
ADMINS = ("admin",)
SEE_PHOTOS = ("reviewer", "certifier", "admin")

SignedIn = Annotated[Principal, Depends(Roles(*ANYONE))]
Uploader = Annotated[Principal, Depends(Roles(*UPLOADERS))]
Reviewer = Annotated[Principal, Depends(Roles(*REVIEWERS))]
Certifier = Annotated[Principal, Depends(Roles(*CERTIFIERS))]
Admin = Annotated[Principal, Depends(Roles(*ADMINS))]
PhotoViewer = Annotated[Principal, Depends(Roles(*SEE_PHOTOS))]
Anyone = Annotated[Principal | None, Depends(Public())]
AnyoneJson = Annotated[Principal | None, Depends(Public(csrf=False))]

HOME_OF_ROLE = {"uploader": "/upload", "reviewer": "/review", "certifier": "/certify"}
SHA256_PATTERN = "^[0-9a-fA-F]{64}$"


def see_other(url: str) -> RedirectResponse:
    """After a form: go to `url` with a GET (so a reload does not post again)."""
    return RedirectResponse(url, status_code=303)


def safe_next(target: str | None, fallback: str) -> str:
    """Only a path on this site (never `//other.host` or a full URL)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return fallback


def whole_number(text: str | None, what: str = "the value") -> int | None:
    """A form's number field: empty is None, anything but a whole number is refused."""
    if text is None or not text.strip():
        return None
    cleaned = text.strip()
    if not cleaned.isdigit():
        raise InputError(f"{what} must be a whole number of 0 or more (you typed {cleaned!r})")
    return int(cleaned)
