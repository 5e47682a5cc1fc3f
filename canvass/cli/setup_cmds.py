"""`canvass init`, `canvass precincts`, `canvass election export`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from canvass.cli.common import JsonFlag, emit_json, open_database, settings_of, stderr_console

if TYPE_CHECKING:
    from canvass.model import Election
    from canvass.settings import Settings


def builtin_election(settings: Settings) -> Election:
    from canvass.elections.iowa2020 import build_iowa2020

    return build_iowa2020(settings.fixtures_dir / "iowa2020")


def current_election(settings: Settings) -> Election:
    """The election loaded in the database, or the built-in Iowa 2020 when none is
    initialised (without creating a database file as a side effect)."""
    from canvass.errors import NotReadyError
    from canvass.store.elections import load_election

    if not settings.database_url and not settings.sqlite_path.exists():
        return builtin_election(settings)
    try:
        return load_election(open_database(settings))
    except NotReadyError:
        return builtin_election(settings)


def init(
    ctx: typer.Context,
    election: Annotated[
        Path | None,
        typer.Option(help="An election file (JSON, see README); default: Iowa 2020."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create (or upgrade) the database and load an election. Safe to run twice."""
    from canvass.elections.fileformat import load_election_file
    from canvass.store.db import migrate, open_engine
    from canvass.store.elections import save_election

    settings = settings_of(ctx)
    definition = load_election_file(election) if election else builtin_election(settings)
    engine = open_engine(settings)
    migrate(engine)
    outcome = save_election(engine, definition)
    if as_json:
        emit_json({"election": outcome.election_id, "precincts": outcome.precincts})
        return
    verb = "loaded" if outcome.changed else "already loaded"
    where = (settings.database_url and "PostgreSQL") or str(settings.sqlite_path)
    units = "caucus units" if any(p.satellite for p in definition.precincts) else "precincts"
    stderr_console().print(f"{definition.name}: {verb}, {outcome.precincts} {units} ({where})")


def precincts(
    ctx: typer.Context,
    county: Annotated[str | None, typer.Option(help="Only this county.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List the loaded election's precincts and satellite caucuses."""
    from rich.table import Table

    from canvass.store.elections import load_election

    election = load_election(open_database(settings_of(ctx)))
    units = [p for p in election.precincts if county is None or p.county == county]
    if as_json:
        emit_json(
            [
                {
                    "id": p.id,
                    "county": p.county,
                    "name": p.name,
                    "delegates_to_elect": p.delegates_to_elect,
                    "satellite": p.satellite,
                }
                for p in units
            ]
        )
        return
    table = Table("id", "county", "name", "delegates", title=f"{election.name}: {len(units)} units")
    for p in units:
        delegates = (
            str(p.delegates_to_elect)
            if p.delegates_to_elect is not None
            else ("by attendance" if p.satellite else "-")
        )
        table.add_row(p.id, p.county, p.name, delegates)
    stderr_console().print(table)


def export_election(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="Where to write the election file (JSON).")],
) -> None:
    """Write the loaded election (or the built-in one) as an election file: a template."""
    from canvass.elections.fileformat import election_text

    election = current_election(settings_of(ctx))
    out.write_text(election_text(election), encoding="utf-8")
    stderr_console().print(f"wrote {out} ({len(election.precincts)} units)")
