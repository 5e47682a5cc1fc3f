"""Everyone's pages: progress per county, and the results per precinct, county and state:
the form's results columns per candidate or ballot line (the caucus: first alignment,
final alignment, county delegates) and the SDE where the rules allocate delegates.

Results say what is settled: a precinct with a field not settled yet is marked
provisional, each such number carries a mark and a title, and a number not determined at
all is shown as "?", never as a plain 0. A certified county's results are the rows signed.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from canvass.forms.registry import form_of
from canvass.forms.spec import key_of
from canvass.model import Election
from canvass.store.status import Status, election_status
from canvass.store.types import utcnow
from canvass.stories.certify import check_scope
from canvass.stories.reconcile import reconcile_election
from canvass.stories.results import (
    ResultRow,
    allocates_delegates,
    provisional_precincts,
    result_lines,
    results_columns,
    totals,
)
from canvass.web.context import WebContext, ctx_of, flash, page
from canvass.web.pictures import progress_bars, progress_legend, share_unit, shares_chart
from canvass.web.routes.common import Admin, CountyFilter, SignedIn, errors, see_other
from canvass.web.routes.evidence import (
    FieldFilter,
    by_county_href,
    evidence_hrefs,
    field_by_county,
)

router = APIRouter()
REFRESH_SECONDS = 30
"""The progress page reloads itself this often (a meta refresh: no script, works with
JavaScript off), so a screen left open on election night stays current."""


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
    return page(
        request,
        "dashboard.html",
        principal,
        status=status,
        active=active,
        quiet=quiet,
        bars=progress_bars(status),
        legend=progress_legend(),
        as_of=utcnow(),
        refresh_seconds=REFRESH_SECONDS,
    )


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


def totals_table(
    rows: list[ResultRow], election: Election, link: Callable[[str], str] | None = None
) -> dict[str, Any]:
    """The totals table: its headings (the form's results columns, and SDE where the rules
    allocate delegates) and a line per candidate or ballot line with any count (then the
    totals row, where the form has one); `link`: where each count leads, by its key."""
    keys = {label: line for label, line in result_lines(election)}
    names = [c.name for c in results_columns(form_of(election))]
    lines = [
        {
            "line": label,
            "counts": list(t.counts.values()),
            "sde": t.sde,
            "links": [link(key_of(n, keys[label])) for n in names] if link else None,
        }
        for label, t in totals(rows, election).items()
        if t.any()
    ]
    return _headings(election) | {"lines": lines}


def _headings(election: Election) -> dict[str, Any]:
    columns = results_columns(form_of(election))
    return {
        "row_heading": form_of(election).row_heading,
        "columns": [{"long": c.title, "short": c.title.split(" ")[0]} for c in columns],
        "sde": allocates_delegates(election),
    }


def precinct_table(row: ResultRow, election: Election) -> dict[str, Any]:
    """The precinct's table: the headings, and per line with any count (or any number not
    settled) each cell's number and whether it is settled (`mark`: "provisional" |
    "undetermined" | None)."""
    columns = results_columns(form_of(election))
    hrefs = evidence_hrefs(election, row.precinct)
    lines = []
    for label, line in result_lines(election):
        cells = [
            {
                "value": row.count(c.name, line),
                "mark": cell_mark(row, key_of(c.name, line)),
                "href": hrefs.get(key_of(c.name, line)),
            }
            for c in columns
        ]
        sde = None if row.sde is None or line is None else row.sde.get(line, Decimal(0))
        marked = any(cell["mark"] for cell in cells)
        if any(cell["value"] for cell in cells) or sde or marked:
            lines.append({"line": label, "cells": cells, "sde": sde, "marked": marked})
    return _headings(election) | {"lines": lines}


def cell_mark(row: ResultRow, key: str) -> str | None:
    """ "undetermined" (shown "?"), "provisional" (shown with a mark), or None (settled)."""
    if key in row.undetermined:
        return "undetermined"
    return "provisional" if key in row.provisional else None


def unsettled_labels(row: ResultRow, election: Election) -> list[str]:
    """The fields of `row` not settled yet, in words (`First alignment, Biden`)."""
    spec = form_of(election)
    return [spec.label(key) for key in row.provisional]


@router.get("/results", response_class=HTMLResponse, include_in_schema=False)
def results_page(request: Request, principal: SignedIn, field: FieldFilter = None) -> Response:
    """The state's totals; each count leads to its county breakdown (`?field=KEY`: that
    count per county, each leading to the county's page)."""
    ctx = ctx_of(request)
    rows = result_rows(ctx, None)
    counties: dict[str, int] = {}
    for r in rows:
        counties[r.county] = counties.get(r.county, 0) + 1
    return page(
        request,
        "results.html",
        principal,
        totals=totals_table(rows, ctx.election, by_county_href),
        chosen=field_by_county(rows, ctx.election, field) if field else None,
        shares=shares_chart(rows, ctx.election, "the state"),
        share_unit=share_unit(ctx.election),
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
        totals=totals_table(rows, ctx.election, lambda _: "#by-precinct"),
        shares=shares_chart(rows, ctx.election, county),
        share_unit=share_unit(ctx.election),
        provisional=provisional_precincts(rows),
        precincts=[
            (r, precinct_table(r, ctx.election), unsettled_labels(r, ctx.election)) for r in rows
        ],
        expected=sum(1 for p in ctx.election.precincts if p.county == county),
    )


@router.get("/api/results", tags=["progress"], responses=errors(401, 404, 422))
def api_results(request: Request, _: SignedIn, county: CountyFilter = None) -> dict[str, Any]:
    """Results backed by the paper, per precinct, with totals: the form's results columns
    per candidate or ballot line (and its totals row), SDE to 3 decimals where the rules
    allocate delegates. Each
    precinct lists its fields not settled yet (`provisional`, empty when all are); the
    totals count the precincts with any (`provisional_precincts`). A certified county's
    precincts are the rows signed."""
    ctx = ctx_of(request)
    if county:
        check_scope(ctx.election, county)
    rows = result_rows(ctx, county)
    return {
        "precincts": [r.as_json(ctx.election) for r in rows],
        "totals": {name: t.as_json() for name, t in totals(rows, ctx.election).items()},
        "provisional_precincts": provisional_precincts(rows),
    }
