"""`canvass certify`, `canvass reopen`, `canvass results`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from canvass.certification import certified_folder, certify_scope
from canvass.cli.common import JsonFlag, emit_json, open_database, settings_of, stderr_console
from canvass.errors import InputError
from canvass.results import compute_results, results_csv
from canvass.store.certify import STATE, documented_exceptions, reopen
from canvass.store.elections import load_election
from canvass.store.types import utcnow

CountyOpt = Annotated[str | None, typer.Option(help="The county.")]


def _scope(county: str | None, state: bool) -> str:
    if bool(county) == state:
        raise InputError("name exactly one of --county NAME or --state")
    return STATE if state else str(county)


def certify(
    ctx: typer.Context,
    certifier: Annotated[str, typer.Option(help="Your full name.")],
    role: Annotated[str, typer.Option(help="Your role, e.g. 'Polk County chair'.")],
    county: CountyOpt = None,
    state: Annotated[bool, typer.Option("--state", help="Certify the whole state.")] = False,
    out: Annotated[Path | None, typer.Option(help="Where to write the results and report.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Sign off a county (or the state): refused, with the list, while anything is open."""
    settings = settings_of(ctx)
    engine = open_database(settings)
    election = load_election(engine)
    scope = _scope(county, state)
    folder = out or certified_folder(settings.data_dir, scope)
    done = certify_scope(engine, election, scope, certifier, role, folder, utcnow())
    if as_json:
        emit_json(done.as_json())
    else:
        stderr_console().print(
            f"{scope} certified by {done.signed.certifier}; results and report in {folder}"
        )


def reopen_scope(
    ctx: typer.Context,
    admin: Annotated[str, typer.Option(help="The administrator reopening it.")],
    reason: Annotated[str, typer.Option(help="Why it is reopened.")],
    county: CountyOpt = None,
    state: Annotated[bool, typer.Option("--state")] = False,
) -> None:
    """Unfreeze a certified county or the state (an administrator's act, logged)."""
    engine = open_database(settings_of(ctx))
    scope = _scope(county, state)
    reopen(engine, load_election(engine), scope, admin, reason, utcnow())
    stderr_console().print(f"{scope} reopened by {admin}")


def results(
    ctx: typer.Context,
    county: CountyOpt = None,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="Write CSV here.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Results backed by the paper (first, final, county delegates, SDE), with totals."""
    engine = open_database(settings_of(ctx))
    election = load_election(engine)
    exceptions = sorted(documented_exceptions(engine, election.id))
    rows = compute_results(engine, election, county, exceptions)
    if csv_out:
        csv_out.write_text(results_csv(rows, election), encoding="utf-8")
    if as_json:
        emit_json([r.as_json() for r in rows])
    elif not csv_out:
        typer.echo(results_csv(rows, election), nl=False)
