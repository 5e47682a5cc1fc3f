"""`canvass worksheet layout | render | county`: the machine-readable form and its printing."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from canvass.cli.common import (
    JsonFlag,
    emit_json,
    progress_bar,
    settings_of,
    stderr_console,
)
from canvass.cli.setup_cmds import current_election
from canvass.errors import NotFoundError

if TYPE_CHECKING:
    from canvass.model import Election, Precinct

worksheet_app = typer.Typer(
    help="The worksheet form: its layout, and blank sheets to print.", no_args_is_help=True
)


def find_precinct(election: Election, precinct_id: str) -> Precinct:
    """The precinct `precinct_id` (case-insensitive), or a NotFoundError naming close ids."""
    found = election.precinct_by_id.get(precinct_id.strip().upper())
    if found is not None:
        return found
    close = difflib.get_close_matches(precinct_id.upper(), list(election.precinct_by_id), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise NotFoundError(
        f"precinct {precinct_id!r} is not in {election.name}{hint} "
        "(`canvass precincts` lists the ids)"
    )


def county_precincts(election: Election, county: str) -> list[Precinct]:
    """The county's precincts in election order (county name case-insensitive)."""
    wanted = county.strip().casefold()
    units = [p for p in election.precincts if p.county.casefold() == wanted]
    if units:
        return units
    names = [c.name for c in election.counties]
    close = difflib.get_close_matches(county, names, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise NotFoundError(
        f"county {county!r} is not in {election.name}{hint} (`canvass precincts` lists them)"
    )


@worksheet_app.command("layout")
def layout(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """The form's geometry: markers, and one box per digit for every field."""
    from canvass.worksheet.layout import DPI, build_layout

    election = current_election(settings_of(ctx))
    form = build_layout(election)
    if as_json:
        emit_json(form.to_contract())
        return
    console = stderr_console()
    console.print(f"[bold]{form.form}[/bold]: {form.width} x {form.height} px (letter, {DPI} dpi)")
    console.print(
        f"{len(form.markers)} ArUco markers, {len(form.fields)} fields, "
        f"{sum(len(f.boxes) for f in form.fields)} digit boxes, "
        f"{len(form.candidates)} rows ({form.spec.row_heading.lower()})"
        f"{', and ' + form.spec.totals_row if form.spec.totals_row else ''}; "
        "`--json` prints the geometry"
    )


@worksheet_app.command("render")
def render(
    ctx: typer.Context,
    precinct: Annotated[str, typer.Option(help="The precinct id, e.g. POLK-ANK-01.")],
    out: Annotated[Path, typer.Option(help="Where to write it: a .png or a .pdf file.")],
    as_json: JsonFlag = False,
) -> None:
    """Print a precinct's blank worksheet (PNG at 300 dpi, or a letter-size PDF)."""
    from canvass.worksheet.layout import build_layout
    from canvass.worksheet.render import WorksheetRenderer, check_output, save_sheet

    check_output(out)
    election = current_election(settings_of(ctx))
    unit = find_precinct(election, precinct)
    renderer = WorksheetRenderer(build_layout(election), election)
    save_sheet(renderer.render(unit), out)
    if as_json:
        emit_json({"precinct": unit.id, "form": renderer.layout.form, "out": str(out)})
    else:
        stderr_console().print(f"wrote {out} ({unit.id}, {renderer.layout.form})")


@worksheet_app.command("county")
def county(
    ctx: typer.Context,
    county: Annotated[str, typer.Option(help="The county, e.g. Polk.")],
    out: Annotated[Path, typer.Option(help="The PDF to write, one sheet a page.")],
    as_json: JsonFlag = False,
) -> None:
    """Print the worksheets of every precinct in a county as one PDF."""
    from canvass.worksheet.layout import DPI, build_layout
    from canvass.worksheet.pdf import PdfWriter
    from canvass.worksheet.render import WorksheetRenderer, check_output

    check_output(out, (".pdf",))
    election = current_election(settings_of(ctx))
    units = county_precincts(election, county)
    renderer = WorksheetRenderer(build_layout(election), election)
    with (
        progress_bar(f"{units[0].county} worksheets", as_json) as update,
        PdfWriter(out, DPI) as pdf,
    ):
        for done, unit in enumerate(units, start=1):
            pdf.add_page(renderer.render(unit))
            update(done, len(units))
    if as_json:
        emit_json({"county": units[0].county, "pages": len(units), "out": str(out)})
    else:
        stderr_console().print(f"wrote {out}: {len(units)} worksheets of {units[0].county}")
