"""Everyone's pages: progress per county, and the results (first alignment, final
alignment, county delegates and SDE) per precinct, county and state.

Results say what is settled: a precinct with a field not settled yet is marked
provisional, each such number carries a mark and a title, and a number not determined at
all is shown as "?", never as a plain 0. A certified county's results are the rows signed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from canvass.model import Election
from canvass.store.status import Status, election_status
from canvass.store.types import utcnow
from canvass.stories.certify import check_scope
from canvass.stories.reconcile import reconcile_election
from canvass.stories.results import ResultRow, provisional_precincts, totals
from canvass.web.context import WebContext, ctx_of, flash, page
from canvass.web.routes.common import Admin, CountyFilter, SignedIn, errors, see_other

router = APIRouter()


def status_json(status: Status) -> dict[str, Any]:
    """The `canvass status --json` object."""
    total = status.total.as_json() | {"photos_stored": status.photos_stored}
    counties = [{"county": c, **s.as_json()} for c, s in status.counties.items()]
    return {"counties": counties, "total": total}


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def dashboard(request: Request, principal: SignedIn) -> Response:
    ctx = ctx_of(request)
    status = election_status(ctx.engine, ctx.election.id)
    active = {c: s for c, s in status.counties.items() if s.photos or s.reported or s.certified}
    quiet = [c for c in status.counties if c not in active]
    return page(request, "dashboard.html", principal, status=status, active=active, quiet=quiet)


@router.get("/api/status", tags=["progress"], responses=errors(401))
def api_status(request: Request, _: SignedIn) -> dict[str, Any]:
    """Progress per county and in total (as `canvass status --json`)."""
    ctx = ctx_of(request)
    return status_json(election_status(ctx.engine, ctx.election.id))


@router.post("/reconcile", include_in_schema=False)
async def reconcile_now(request: Request, _: Admin) -> Response:
    ctx = ctx_of(request)
    summary = await run_in_threadpool(reconcile_election, ctx.engine, ctx.election, utcnow())
    flash(
        request,
        f"{summary.precincts} precincts compared: {summary.cleared} cleared, "
        f"{summary.in_review} in review ({summary.items_created} new items)",
    )
    return see_other("/")


@router.post("/api/reconcile", tags=["progress"], responses=errors(401, 403))
async def api_reconcile(request: Request, _: Admin) -> dict[str, int]:
    """Compare the paper with every source and bring the review queue up to date (the
    server's reader also does this after reading photos)."""
    ctx = ctx_of(request)
    summary = await run_in_threadpool(reconcile_election, ctx.engine, ctx.election, utcnow())
    return summary.as_json()


def result_rows(ctx: WebContext, county: str | None) -> list[ResultRow]:
    return ctx.results.rows(county)


def totals_table(rows: list[ResultRow], election: Election) -> list[dict[str, Any]]:
    """Per candidate with any count: first, final, county delegates, SDE."""
    table = []
    for name, (first, final, cds, sde) in totals(rows, election).items():
        if first or final or cds or sde:
            table.append(
                {"candidate": name, "first": first, "final": final, "cds": cds, "sde": sde}
            )
    return table


def precinct_table(row: ResultRow, election: Election) -> list[dict[str, Any]]:
    """Per candidate with any count (or any number not settled): each cell's number, and
    whether it is settled (`marks`: field -> "provisional" | "undetermined")."""
    cds = row.tally.county_delegates or {}
    table = []
    for name in election.candidates:
        first, final = row.tally.first.get(name, 0), row.tally.final.get(name, 0)
        sde = row.sde.get(name, Decimal(0))
        marks = {
            measure: cell_mark(row, f"{key}.{name}")
            for measure, key in (
                ("first", "first"),
                ("final", "final"),
                ("cds", "county_delegates"),
            )
        }
        if first or final or cds.get(name) or sde or any(marks.values()):
            table.append(
                {"candidate": name, "first": first, "final": final, "cds": cds.get(name, 0)}
                | {"sde": sde, "marks": marks}
            )
    return table


def cell_mark(row: ResultRow, key: str) -> str | None:
    """ "undetermined" (shown "?"), "provisional" (shown with a mark), or None (settled)."""
    if key in row.undetermined:
        return "undetermined"
    return "provisional" if key in row.provisional else None


@router.get("/results", response_class=HTMLResponse, include_in_schema=False)
def results_page(request: Request, principal: SignedIn) -> Response:
    ctx = ctx_of(request)
    rows = result_rows(ctx, None)
    counties: dict[str, int] = {}
    for r in rows:
        counties[r.county] = counties.get(r.county, 0) + 1
    return page(
        request,
        "results.html",
        principal,
        totals=totals_table(rows, ctx.election),
        provisional=provisional_precincts(rows),
        counties=counties,
        precincts=len(ctx.election.precincts),
    )


@router.get("/results/{county}", response_class=HTMLResponse, include_in_schema=False)
def county_results_page(request: Request, principal: SignedIn, county: str) -> Response:
    ctx = ctx_of(request)
    check_scope(ctx.election, county)
    rows = result_rows(ctx, county)
    return page(
        request,
        "results_county.html",
        principal,
        county=county,
        totals=totals_table(rows, ctx.election),
        provisional=provisional_precincts(rows),
        precincts=[(r, precinct_table(r, ctx.election)) for r in rows],
        expected=sum(1 for p in ctx.election.precincts if p.county == county),
    )


@router.get("/api/results", tags=["progress"], responses=errors(401, 404, 422))
def api_results(request: Request, _: SignedIn, county: CountyFilter = None) -> dict[str, Any]:
    """Results backed by the paper, per precinct, with totals (SDE to 3 decimals). Each
    precinct lists its fields not settled yet (`provisional`, empty when all are); the
    totals count the precincts with any (`provisional_precincts`). A certified county's
    precincts are the rows signed."""
    ctx = ctx_of(request)
    if county:
        check_scope(ctx.election, county)
    rows = result_rows(ctx, county)
    return {
        "precincts": [r.as_json() for r in rows],
        "totals": {
            name: {"first": t[0], "final": t[1], "county_delegates": t[2], "sde": float(t[3])}
            for name, t in totals(rows, ctx.election).items()
        },
        "provisional_precincts": provisional_precincts(rows),
    }
