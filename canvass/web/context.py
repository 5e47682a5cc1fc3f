"""What every request handler shares (one object, built once by the app factory), and the
helpers that render a page for a person."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine

from canvass.model import Election
from canvass.roles import ADMINS, CERTIFIERS, EVERYONE, REVIEWERS, UPLOADERS
from canvass.settings import Settings
from canvass.store.db import open_engine, require_current_schema
from canvass.store.elections import load_election
from canvass.web.auth import Principal, csrf_token, load_secret_key
from canvass.web.snapshots import ResultsCache
from canvass.web.words import sheet_words
from canvass.wording import (
    decision_words,
    details_words,
    finding_words,
    kind_words,
    message_words,
)
from canvass.worksheet.layout import WorksheetLayout, build_layout
from ingest.blobs import BlobStore, open_blob_store
from ingest.photos import Intake
from ingest.sniff import Limits

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

NAV: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("/", "Progress", frozenset(EVERYONE)),
    ("/upload", "Upload", frozenset(UPLOADERS)),
    ("/review", "Review", frozenset(REVIEWERS)),
    ("/certify", "Certify", frozenset(CERTIFIERS)),
    ("/results", "Results", frozenset(EVERYONE)),
    ("/testdeck", "Test deck", frozenset(ADMINS)),
)


@dataclass(frozen=True)
class WebContext:
    settings: Settings
    engine: Engine
    election: Election
    secret_key: str
    intake: Intake
    crops: BlobStore
    templates: Jinja2Templates
    layout: WorksheetLayout
    results: ResultsCache

    @property
    def photos(self) -> BlobStore:
        return self.intake.blobs


def build_context(settings: Settings) -> WebContext:
    """Connect, check the schema and load the election: the app does not start without
    them (NotReadyError says to run `canvass init`)."""
    engine = open_engine(settings)
    require_current_schema(engine)
    election = load_election(engine)
    limits = Limits(settings.max_photo_bytes, settings.max_photo_pixels, settings.max_pdf_pages)
    intake = Intake(engine, open_blob_store(settings, "photos"), election, limits)
    return WebContext(
        settings=settings,
        engine=engine,
        election=election,
        secret_key=load_secret_key(settings),
        intake=intake,
        crops=open_blob_store(settings, "crops"),
        templates=_templates(),
        layout=build_layout(election),
        results=ResultsCache(engine, election),
    )


def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.filters["segment"] = lambda value: quote(str(value), safe="")
    templates.env.filters["sde"] = lambda value: f"{float(value):.3f}"
    templates.env.filters["decision_words"] = decision_words
    templates.env.filters["finding_words"] = finding_words
    templates.env.filters["kind_words"] = kind_words
    templates.env.filters["message_words"] = message_words
    templates.env.filters["details_words"] = details_words
    return templates


def ctx_of(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.ctx
    return ctx


def flash(request: Request, message: str, kind: str = "ok") -> None:
    """A message shown once, on the next page this browser opens."""
    messages = list(request.session.get("flash", []))
    messages.append([kind, message])
    request.session["flash"] = messages[-5:]


def page(
    request: Request,
    template: str,
    principal: Principal | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render a page with what every page needs: the account, its menu, the CSRF token
    for its forms, and any messages left for it."""
    ctx = ctx_of(request)
    role = principal.role if principal else None
    context.update(
        user=principal.account if principal else None,
        nav=[(href, label) for href, label, roles in NAV if role in roles],
        path=request.url.path,
        csrf_token=csrf_token(request),
        flashes=request.session.pop("flash", []),
        election=ctx.election,
        words=sheet_words(ctx.election),
    )
    return ctx.templates.TemplateResponse(request, template, context, status_code=status_code)
