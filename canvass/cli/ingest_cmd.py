"""`canvass ingest`, `canvass reports import`, `canvass status`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from canvass.cli.common import (
    JsonFlag,
    emit_json,
    open_database,
    progress_bar,
    settings_of,
    stderr_console,
    stdout_console,
)

if TYPE_CHECKING:
    from canvass.settings import Settings
    from canvass.store.status import Status
    from ingest.photos import Intake
    from ingest.reports import LineError


def open_intake(settings: Settings) -> Intake:
    from canvass.store.elections import load_election
    from ingest.blobs import open_blob_store
    from ingest.photos import Intake
    from ingest.sniff import Limits

    engine = open_database(settings)
    return Intake(
        engine=engine,
        blobs=open_blob_store(settings, "photos"),
        election=load_election(engine),
        limits=Limits(settings.max_photo_bytes, settings.max_photo_pixels, settings.max_pdf_pages),
    )


def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Photo files or folders of photos.")],
    precinct: Annotated[str | None, typer.Option(help="The precinct the photos are of.")] = None,
    uploader: Annotated[str, typer.Option(help="Who hands the photos in.")] = "cli",
    source: Annotated[str, typer.Option(help="Where they come from (scanner, phone...).")] = "cli",
    as_json: JsonFlag = False,
) -> None:
    """Store worksheet photos (JPEG, PNG, HEIC, PDF) and queue them for reading."""
    from rich.table import Table

    from ingest.photos import Custody, ingest_paths

    intake = open_intake(settings_of(ctx))
    custody = Custody(uploader=uploader, client_source=source, declared_precinct=precinct)
    with progress_bar("storing photos", quiet=as_json) as progress:
        results = ingest_paths(intake, paths, custody, progress)
    if as_json:
        emit_json([r.as_json() for r in results])
    else:
        table = Table("file", "status", "sha256 / reason")
        for r in results:
            table.add_row(r.file, r.status, r.reason or (r.sha256 or "")[:16])
        stdout_console().print(table)
    if any(r.status == "rejected" for r in results):
        raise typer.Exit(8)


def import_reports(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="CSV (precinct,field,value) or JSON Lines of Tallies.")
    ],
    source: Annotated[str, typer.Option(help="app, hotline or published.")],
    as_json: JsonFlag = False,
) -> None:
    """Import electronic reports; a file with any error stores nothing."""
    from canvass.errors import InputError
    from canvass.store.elections import load_election
    from canvass.store.intake import store_reports
    from canvass.store.types import utcnow
    from ingest.blobs import sha256_of
    from ingest.reports import SOURCES, parse_reports

    if source not in SOURCES:
        raise InputError(f"unknown source {source!r}: use one of {', '.join(SOURCES)}")
    settings = settings_of(ctx)
    engine = open_database(settings)
    election = load_election(engine)
    data = file.read_bytes()
    parsed = parse_reports(data, file.name, election)
    stored = 0
    if not parsed.errors:
        stored = store_reports(
            engine, election.id, source, file.name, sha256_of(data), parsed.reports, utcnow()
        )
    if as_json:
        emit_json({"stored": stored, "errors": [e.as_json() for e in parsed.errors]})
    else:
        _print_import(file, stored, parsed.errors)
    if parsed.errors:
        raise typer.Exit(3)


def _print_import(file: Path, stored: int, errors: list[LineError]) -> None:
    console = stderr_console()
    for e in errors:
        console.print(f"{file}:{e.line}: {e.message}", markup=False, soft_wrap=True)
    if errors:
        console.print(f"{len(errors)} error(s): nothing stored; fix the file and import it again")
    else:
        console.print(f"{stored} new report version(s) stored from {file}")


def status(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Progress per county and in total."""
    from canvass.store.status import election_status

    # on the tables read from the database: no SQLModel, no election model (issue 17)
    result = election_status(open_database(settings_of(ctx)), None, reflect=True)
    if as_json:
        emit_json(status_json(result))
        return
    from rich.table import Table

    table = Table(
        "county", "precincts", "photo", "read", "reported", "cleared", "in review", "certified"
    )
    for county, s in [*result.counties.items(), ("TOTAL", result.total)]:
        table.add_row(county, *(str(v) for v in s.as_json().values()))
    stdout_console().print(table)


def status_json(result: Status) -> dict[str, Any]:
    """What `canvass status --json` prints: per county, then the total with the photos stored."""
    total = result.total.as_json() | {"photos_stored": result.photos_stored}
    return {
        "counties": [{"county": c, **s.as_json()} for c, s in result.counties.items()],
        "total": total,
    }


def photos(
    ctx: typer.Context,
    precinct: Annotated[str, typer.Option(help="The precinct id.")],
    as_json: JsonFlag = False,
) -> None:
    """A precinct's photos: every upload, its reading, and which reading is in force."""
    from rich.table import Table

    from canvass.errors import NotFoundError
    from canvass.store.elections import load_election
    from canvass.store.readings import photo_history

    engine = open_database(settings_of(ctx))
    election = load_election(engine)
    if precinct not in election.precinct_by_id:
        raise NotFoundError(
            f"precinct {precinct!r} is not in {election.name}: see `canvass precincts`"
        )
    history = photo_history(engine, election.id, precinct)
    if as_json:
        emit_json(
            [
                {
                    "photo": h.photo_id,
                    "sha256": h.sha256,
                    "stored_at": h.stored_at.isoformat(),
                    "uploads": h.uploads,
                    "declared_precinct": h.declared_precinct,
                    "read_precinct": h.read_precinct,
                    "status": h.status,
                    "reason": h.reason,
                    "in_force": h.in_force,
                }
                for h in history
            ]
        )
        return
    table = Table(
        "photo", "stored (UTC)", "status", "read as", "in force", "uploads", title=precinct
    )
    for h in history:
        table.add_row(
            str(h.photo_id),
            f"{h.stored_at:%Y-%m-%d %H:%M}",
            h.status,
            h.read_precinct or "",
            "yes" if h.in_force else "",
            "\n".join(h.uploads),
        )
    stdout_console().print(table)
