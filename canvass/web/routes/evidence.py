"""Every number leads to its paper: a precinct's page lists each count of its sheet, and
each count opens its evidence (the field's crop, the whole sheet, each source's value,
the decisions on it in words), told by `canvass.stories.evidence`.

Who sees what: the pages follow the results pages' guard (every signed-in account);
the crop, the sheet and the photo follow the photo rule (`SEE_PHOTOS`: not uploaders), so
the evidence page only shows or links them to an account that may open them, and the crop's
own address refuses anyone else. Blind entry holds: a field waiting for it shows no
reported value, no machine guess and no entry (the story withholds them).

Addresses name a field by its place in the form's reported keys (`/evidence/ADAMS-1/7`),
because keys hold spaces and dots.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from canvass.errors import NotFoundError
from canvass.forms.registry import form_of
from canvass.forms.spec import key_of
from canvass.model import Election
from canvass.roles import SEE_PHOTOS
from canvass.stories.certify import check_scope
from canvass.stories.evidence import (
    FieldEvidence,
    evidence_keys,
    field_evidence,
    key_at,
    precinct_evidence,
    precinct_named,
)
from canvass.stories.results import ResultRow, result_lines, results_columns
from canvass.web.auth import Principal
from canvass.web.context import ctx_of, page
from canvass.web.routes.common import NO_NUL, PhotoViewer, SignedIn

router = APIRouter()
PrecinctId = Annotated[str, Path(max_length=64, pattern=NO_NUL)]
CountyName = Annotated[str, Path(max_length=128, pattern=NO_NUL)]
FieldIndex = Annotated[int, Path(ge=0, le=9999)]
FieldFilter = Annotated[str | None, Query(max_length=300, pattern=NO_NUL)]


def evidence_hrefs(election: Election, precinct: str) -> dict[str, str]:
    """The address of each count's evidence page, by its key."""
    start = f"/evidence/{quote(precinct, safe='')}/"
    return {k: f"{start}{i}" for i, k in enumerate(evidence_keys(election))}


def by_county_href(key: str) -> str:
    """Where a state total leads: the same count, county by county."""
    return f"/results?field={quote(key, safe='')}#by-county"


def field_by_county(rows: list[ResultRow], election: Election, key: str) -> dict[str, Any]:
    """One results count summed per county (NotFoundError for a key the results do not
    show), with how many of each county's precincts hold it unsettled."""
    shown = {
        key_of(c.name, line)
        for c in results_columns(form_of(election))
        for _, line in result_lines(election)
    }
    if key not in shown:
        raise NotFoundError(f"the results show no count {key!r}: pick a number on the totals")
    counties: dict[str, dict[str, int]] = {}
    for r in rows:
        county = counties.setdefault(r.county, {"count": 0, "provisional": 0})
        county["count"] += r.values.get(key, 0)
        county["provisional"] += key in r.provisional
    return {"key": key, "label": form_of(election).label(key), "counties": counties}


def _rows(request: Request, county: str) -> list[ResultRow]:
    return ctx_of(request).results.rows(county)


def may_see_photos(principal: Principal) -> bool:
    """Whether the account may open photos and crops (the one photo rule, `SEE_PHOTOS`)."""
    return principal.role in SEE_PHOTOS


@router.get("/results/{county}/{precinct}", response_class=HTMLResponse, include_in_schema=False)
def precinct_page(
    request: Request, principal: SignedIn, county: CountyName, precinct: PrecinctId
) -> Response:
    """Every count of the precinct's sheet, each a link to its evidence."""
    ctx = ctx_of(request)
    check_scope(ctx.election, county)
    found = precinct_named(ctx.election, precinct)
    if found.county != county:
        raise NotFoundError(f"precinct {precinct} is in {found.county}, not in {county}")
    fields = precinct_evidence(ctx.engine, ctx.election, precinct, _rows(request, county))
    return page(
        request,
        "results_precinct.html",
        principal,
        precinct=found,
        first=fields[0] if fields else None,
        provisional=[f for f in fields if not f.settled and f.in_results],
        **sheet_grid(ctx.election, fields),
    )


def sheet_grid(election: Election, fields: list[FieldEvidence]) -> dict[str, Any]:
    """The sheet as it is printed: its header counts, then per candidate or ballot line
    (and the totals row) each count column's field (None where the sheet has none)."""
    spec = form_of(election)
    by_key = {f.key: f for f in fields}
    columns = spec.count_columns()
    lines = [
        (label, [by_key.get(key_of(c.name, row)) for c in columns])
        for label, row in result_lines(election)
    ]
    return {
        "header": [f for f in fields if spec.header_field(f.key) is not None],
        "columns": columns,
        "row_heading": spec.row_heading,
        "lines": lines,
    }


@router.get("/evidence/{precinct}/{index}", response_class=HTMLResponse, include_in_schema=False)
def evidence_page(
    request: Request, principal: SignedIn, precinct: PrecinctId, index: FieldIndex
) -> Response:
    """One count's evidence: its crop, the whole sheet, each source, the decisions."""
    evidence = _evidence(request, precinct, index)
    return page(
        request,
        "evidence.html",
        principal,
        e=evidence,
        see_photos=may_see_photos(principal),
    )


@router.get("/evidence/{precinct}/{index}/crop.png", include_in_schema=False)
def evidence_crop(
    request: Request, _: PhotoViewer, precinct: PrecinctId, index: FieldIndex
) -> Response:
    """The field's crop from the photo whose reading stands (the signed one for a
    certified county), as the reader stored it."""
    evidence = _evidence(request, precinct, index)
    crops = ctx_of(request).crops
    if evidence.crop_key is None or not crops.exists(evidence.crop_key):
        raise NotFoundError(
            f"no crop of {evidence.label} for {precinct}: no photo of it has been read "
            "with its crops kept"
        )
    return Response(crops.get(evidence.crop_key), media_type="image/png")


def _evidence(request: Request, precinct: str, index: int) -> FieldEvidence:
    ctx = ctx_of(request)
    found = precinct_named(ctx.election, precinct)
    key = key_at(ctx.election, index)
    return field_evidence(ctx.engine, ctx.election, precinct, key, _rows(request, found.county))
