"""Certification for people and as JSON: per county, what still blocks the sign-off, the
results, the discrepancy report and the sign-off form; the state view rolls counties up.

Signing off is `canvass.stories.certify.certify_scope`, the story `canvass certify` tells;
the signer is the signed-in account (its display name), with the role they type, and only
an account that may sign the scope is offered the form (or accepted). While a county is
certified its page shows the results as signed, any evidence that came in since
(`late_evidence` items, with links) and, to administrators, what reopening would change.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import PurePath
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from canvass.errors import NotFoundError
from canvass.report import discrepancies_csv
from canvass.store.accounts import may_certify
from canvass.store.certify import STATE, Blocker, blockers, county_blockers
from canvass.store.review import queue
from canvass.store.status import StageCounts, election_status
from canvass.store.types import utcnow
from canvass.store.views import certified_scopes, resolved_items
from canvass.stories.certify import (
    CERTIFIED_FILES,
    certified_folder,
    certify_scope,
    check_scope,
    reopen_scope,
    would_change,
)
from canvass.stories.results import provisional_precincts
from canvass.web.auth import Principal
from canvass.web.context import WebContext, ctx_of, flash, page
from canvass.web.routes.common import NO_NUL, Admin, Certifier, errors, see_other
from canvass.web.routes.progress import result_rows, totals_table

router = APIRouter()
Scope = Annotated[str, Path(max_length=128, description="A county's name, or STATE.")]


class SignOffRequest(BaseModel):
    role: str = Field(
        min_length=1, max_length=128, pattern=NO_NUL, description="e.g. 'Adams County chair'"
    )


class ReopenRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, pattern=NO_NUL)


@router.get("/certify", response_class=HTMLResponse, include_in_schema=False)
def state_page(request: Request, principal: Certifier) -> Response:
    ctx = ctx_of(request)
    status = election_status(ctx.engine, ctx.election.id)
    signed = certified_scopes(ctx.engine, ctx.election.id)
    groups: dict[str, list[tuple[str, StageCounts]]] = {
        "ready": [],
        "working": [],
        "certified": [],
        "quiet": [],
    }
    for county, counts in status.counties.items():
        groups[_group(county, counts, signed)].append((county, counts))
    return page(
        request,
        "certify_state.html",
        principal,
        status=status,
        signed=signed,
        groups=groups,
        state_blockers=blockers(ctx.engine, ctx.election, STATE),
        files=_files(ctx, STATE),
        file_words=FILE_WORDS,
        may_sign=may_certify(principal.account, STATE),
    )


def _group(county: str, counts: StageCounts, signed: dict[str, str]) -> str:
    """Where a county is listed: certified, ready to sign off (every unit read, nothing in
    review), with work under way, or nothing in yet."""
    if county in signed:
        return "certified"
    if counts.read == counts.precincts and not counts.in_review:
        return "ready"
    return "working" if counts.photos or counts.reported or counts.in_review else "quiet"


@router.get("/certify/{scope}", response_class=HTMLResponse, include_in_schema=False)
def scope_page(request: Request, principal: Certifier, scope: Scope) -> Response:
    ctx = ctx_of(request)
    check_scope(ctx.election, scope)
    if scope == STATE:
        return see_other("/certify")
    rows = result_rows(ctx, scope)
    signed = certified_scopes(ctx.engine, ctx.election.id).get(scope)
    problems = county_blockers(ctx.engine, ctx.election, scope)
    admin = principal.role == "admin"
    return page(
        request,
        "certify_county.html",
        principal,
        scope=scope,
        problems=problems,
        grouped=group_blockers(problems),
        kinds=Counter(b.kind for b in problems),
        signed=signed,
        totals=totals_table(rows, ctx.election),
        backed=len(rows),
        provisional=provisional_precincts(rows),
        precincts=sum(1 for p in ctx.election.precincts if p.county == scope),
        items=resolved_items(ctx.engine, ctx.election.id, scope),
        files=_files(ctx, scope),
        file_words=FILE_WORDS,
        late=queue(ctx.engine, ctx.election.id, scope, kind="late_evidence"),
        changes=would_change(ctx.engine, ctx.election, scope) if signed and admin else None,
        may_sign=may_certify(principal.account, scope),
    )


def group_blockers(found: list[Blocker]) -> list[tuple[str, list[tuple[str, list[Blocker]]]]]:
    """The blockers by precinct (in the order met), then by kind: a certifier sees where
    the work is and what kind it is, each item one link away, instead of a long list."""
    by_precinct: dict[str, dict[str, list[Blocker]]] = {}
    for b in found:
        by_precinct.setdefault(b.precinct, {}).setdefault(b.kind, []).append(b)
    return [(p, list(kinds.items())) for p, kinds in by_precinct.items()]


def _files(ctx: WebContext, scope: str) -> list[str]:
    folder = certified_folder(ctx.settings.data_dir, scope)
    return [name for name in CERTIFIED_FILES if (folder / name).is_file()]


def _sign(ctx: WebContext, principal: Principal, scope: str, role: str) -> dict[str, Any]:
    check_scope(ctx.election, scope)
    folder = certified_folder(ctx.settings.data_dir, scope)
    done = certify_scope(ctx.engine, ctx.election, scope, principal.account, role, folder, utcnow())
    return done.as_json()


@router.post("/certify/{scope}", include_in_schema=False)
async def sign_page(
    request: Request,
    principal: Certifier,
    scope: Scope,
    role: Annotated[str, Form(max_length=128, pattern=NO_NUL)] = "",
) -> Response:
    ctx = ctx_of(request)
    done = await run_in_threadpool(_sign, ctx, principal, scope, role)
    flash(request, f"{scope} is certified by {done['certifier']}: the results are frozen.")
    return see_other("/certify" if scope == STATE else f"/certify/{scope}")


@router.post("/certify/{scope}/reopen", include_in_schema=False)
def reopen_page(
    request: Request,
    principal: Admin,
    scope: Scope,
    reason: Annotated[str, Form(max_length=2000, pattern=NO_NUL)] = "",
) -> Response:
    ctx = ctx_of(request)
    changes = reopen_scope(ctx.engine, ctx.election, scope, principal.username, reason, utcnow())
    moved = f" {len(changes.changes)} numbers change against the ones signed." if changes else ""
    flash(request, f"{scope} is reopened: decisions can be made again.{moved}")
    return see_other("/certify" if scope == STATE else f"/certify/{scope}")


@router.get("/certify/{scope}/files/{name}", include_in_schema=False)
def certified_file(request: Request, _: Certifier, scope: Scope, name: str) -> Response:
    """A certified file, named for the scope and the day it was signed (its files are
    written at the sign-off): saved, not opened in the browser, except the HTML report,
    which is a page to read (it still carries its name for saving)."""
    ctx = ctx_of(request)
    check_scope(ctx.election, scope)
    if name not in _files(ctx, scope):
        raise NotFoundError(f"{scope} has no certified file {name!r}: certify it first")
    path = certified_folder(ctx.settings.data_dir, scope) / name
    day = datetime.fromtimestamp(path.stat().st_mtime, UTC).date()
    shown = "inline" if name == "report.html" else "attachment"
    return FileResponse(
        path, filename=download_name(scope, name, day), content_disposition_type=shown
    )


@router.get("/certify/{scope}/discrepancies.csv", include_in_schema=False)
def discrepancies_file(request: Request, _: Certifier, scope: Scope) -> Response:
    """The resolved discrepancies as CSV (codes and words side by side), as of now."""
    ctx = ctx_of(request)
    check_scope(ctx.election, scope)
    text = discrepancies_csv(resolved_items(ctx.engine, ctx.election.id, scope))
    name = download_name(scope, "discrepancies.csv", utcnow().date())
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


FILE_WORDS = {
    "results.csv": "Results (CSV)",
    "report.pdf": "Report (PDF)",
    "report.html": "Report (web page)",
    "manifest.json": "Evidence manifest (JSON)",
}


def download_name(scope: str, name: str, day: date) -> str:
    """`adams-results-2026-02-03.csv`: the scope (a county, or `state`), what the file
    is and the day, so downloads from several counties do not overwrite each other."""
    slug = "-".join(re.findall(r"[a-z0-9]+", scope.lower())) or "county"
    file = PurePath(name)
    return f"{'state' if scope == STATE else slug}-{file.stem}-{day.isoformat()}{file.suffix}"


@router.get("/api/certify/{scope}", tags=["certify"], responses=errors(401, 403, 404, 422))
def api_blockers(request: Request, _: Certifier, scope: Scope) -> dict[str, Any]:
    """What still blocks signing off the county (or STATE), who signed it if signed, and
    (`would_change`, null unless certified) what reopening it would change."""
    ctx = ctx_of(request)
    check_scope(ctx.election, scope)
    changes = would_change(ctx.engine, ctx.election, scope)
    return {
        "scope": scope,
        "certified": certified_scopes(ctx.engine, ctx.election.id).get(scope),
        "blockers": blockers(ctx.engine, ctx.election, scope),
        "would_change": None if changes is None else changes.as_json(),
    }


@router.post(
    "/api/certify/{scope}",
    tags=["certify"],
    responses=errors(
        400,
        401,
        (403, "The account may not sign this scope, or its role does not admit signing."),
        404,
        409,
        (422, "The request is not valid, or something still blocks the sign-off (listed)."),
    ),
)
async def api_sign(
    request: Request, principal: Certifier, scope: Scope, body: SignOffRequest
) -> dict[str, Any]:
    """Sign off the county (or STATE) as the calling account, with the role given;
    refused (422, with the list) while anything blocks it, and (403) when the account may
    not sign that scope."""
    return await run_in_threadpool(_sign, ctx_of(request), principal, scope, body.role)


@router.post(
    "/api/certify/{scope}/reopen",
    tags=["certify"],
    responses=errors(400, 401, 403, 404, 409, 422),
)
def api_reopen(
    request: Request, principal: Admin, scope: Scope, body: ReopenRequest
) -> dict[str, Any]:
    """Unfreeze a certified county or the state (administrators; logged with the reason);
    `would_change` lists, number by number, what the live records change against the
    numbers signed (they apply from now on)."""
    ctx = ctx_of(request)
    changes = reopen_scope(
        ctx.engine, ctx.election, scope, principal.username, body.reason, utcnow()
    )
    return {"scope": scope, "status": "reopened", "would_change": changes.as_json()}
