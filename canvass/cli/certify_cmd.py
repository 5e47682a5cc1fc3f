"""`canvass certify`, `canvass reopen`, `canvass results`."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated

import typer

from canvass.cli.common import JsonFlag, emit_json, open_database, settings_of, stderr_console
from canvass.errors import InputError, RefusedError
from canvass.report import ReportContent, render_html, render_pdf, resolved_items
from canvass.results import compute_results, results_csv, totals
from canvass.store.certify import (
    STATE,
    blockers,
    documented_exceptions,
    evidence_manifest,
    reopen,
    sign_off,
)
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
    problems = blockers(engine, election, scope)
    if problems:
        raise RefusedError(
            f"{scope} cannot be certified yet ({len(problems)} to do): " + "; ".join(problems[:5])
        )
    rows = compute_results(
        engine,
        election,
        None if scope == STATE else scope,
        sorted(documented_exceptions(engine, election.id)),
    )
    csv_text = results_csv(rows, election)
    manifest = evidence_manifest(
        engine, election, scope, hashlib.sha256(csv_text.encode()).hexdigest()
    )
    signed = sign_off(engine, election, scope, certifier, role, manifest, utcnow())
    folder = out or settings.data_dir / "certified" / scope.replace(" ", "_")
    folder.mkdir(parents=True, exist_ok=True)
    content = ReportContent(
        election=election.name,
        scope=scope,
        certifier=signed.certifier,
        role=signed.role,
        at=f"{signed.certified_at:%Y-%m-%d %H:%M:%S}",
        manifest=signed.manifest_sha256,
        audit_head=signed.audit_head,
        precincts=len(rows),
        totals=list(totals(rows, election).items()),
        items=resolved_items(engine, election.id, scope),
    )
    (folder / "results.csv").write_text(csv_text, encoding="utf-8")
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    (folder / "report.html").write_text(render_html(content), encoding="utf-8")
    (folder / "report.pdf").write_bytes(render_pdf(content))
    summary = {
        "scope": scope,
        "certifier": signed.certifier,
        "manifest_sha256": signed.manifest_sha256,
        "audit_head": signed.audit_head,
        "precincts": len(rows),
        "out": str(folder),
    }
    if as_json:
        emit_json(summary)
    else:
        stderr_console().print(
            f"{scope} certified by {signed.certifier}; results and report in {folder}"
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
        emit_json(
            [
                {
                    "precinct": r.precinct,
                    "county": r.county,
                    "backed_by": r.backed_by,
                    "first": r.tally.first,
                    "final": r.tally.final,
                    "county_delegates": r.tally.county_delegates,
                    "sde": {c: float(v) for c, v in r.sde.items()},
                }
                for r in rows
            ]
        )
    elif not csv_out:
        typer.echo(results_csv(rows, election), nl=False)
