"""`canvass certify`, `canvass reopen`, `canvass results`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from canvass.cli.common import JsonFlag, emit_json, open_database, settings_of, stderr_console
from canvass.errors import InputError

CountyOpt = Annotated[str | None, typer.Option(help="The county.")]


def _scope(county: str | None, state: bool) -> str:
    from canvass.store.certify import STATE

    if bool(county) == state:
        raise InputError("name exactly one of --county NAME or --state")
    return STATE if state else str(county)


def certify(
    ctx: typer.Context,
    certifier: Annotated[
        str, typer.Option(help="Your account (a certifier given this scope, or an admin).")
    ],
    role: Annotated[str, typer.Option(help="Your role, e.g. 'Polk County chair'.")],
    county: CountyOpt = None,
    state: Annotated[bool, typer.Option("--state", help="Certify the whole state.")] = False,
    out: Annotated[Path | None, typer.Option(help="Where to write the results and report.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Sign off a county (or the state) as your account: refused, with the list, while
    anything is open, and when the account may not sign it."""
    from canvass.store.elections import load_election
    from canvass.store.types import utcnow
    from canvass.stories.certify import certified_folder, certify_scope, signer_named

    settings = settings_of(ctx)
    engine = open_database(settings)
    election = load_election(engine)
    scope = _scope(county, state)
    signer = signer_named(engine, certifier)
    folder = out or certified_folder(settings.data_dir, scope)
    done = certify_scope(engine, election, scope, signer, role, folder, utcnow())
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
    as_json: JsonFlag = False,
) -> None:
    """Unfreeze a certified county or the state (an administrator's act, logged), and say
    what the live numbers, which apply from now on, change against the ones signed."""
    from canvass.store.elections import load_election
    from canvass.store.types import utcnow
    from canvass.stories import certify as certification

    engine = open_database(settings_of(ctx))
    scope = _scope(county, state)
    changes = certification.reopen_scope(
        engine, load_election(engine), scope, admin, reason, utcnow()
    )
    if as_json:
        emit_json({"scope": scope, "status": "reopened", "would_change": changes.as_json()})
        return
    lines = changes.lines()
    said = (
        f"; {len(lines)} change(s) against the numbers signed:" if lines else "; no number changes"
    )
    stderr_console().print(f"{scope} reopened by {admin}{said}", markup=False)
    for line in lines:
        typer.echo(f"  {line}")


def results(
    ctx: typer.Context,
    county: CountyOpt = None,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="Write CSV here.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Results backed by the paper (the sheet's numbers; SDE where the rules allocate
    delegates), with totals; a certified county's as signed. Each row says which fields
    are not settled yet."""
    from canvass.store.elections import load_election
    from canvass.stories.results import results_csv, served_results

    engine = open_database(settings_of(ctx))
    election = load_election(engine)
    rows = served_results(engine, election, county)
    if csv_out:
        csv_out.write_text(results_csv(rows, election), encoding="utf-8")
    if as_json:
        emit_json([r.as_json(election) for r in rows])
    elif not csv_out:
        typer.echo(results_csv(rows, election), nl=False)
