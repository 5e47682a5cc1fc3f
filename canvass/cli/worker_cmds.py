"""`canvass worker` (read photos as a service) and `canvass doctor` (do the database and
the blob store agree?)."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Annotated

import typer

from canvass.cli.common import (
    JsonFlag,
    emit_json,
    open_database,
    progress_bar,
    settings_of,
    stdout_console,
)
from canvass.cli.common import stderr_console as _stderr

if TYPE_CHECKING:
    from ingest.doctor import DoctorReport
    from ingest.queue import ReadStatus


def worker(
    ctx: typer.Context,
    concurrency: Annotated[
        int | None, typer.Option(min=1, help="Photos read at once (default: all cores).")
    ] = None,
    until_empty: Annotated[
        bool, typer.Option("--until-empty", help="Stop once no photo is left to read.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Read stored photos as they arrive, until stopped (SIGTERM/Ctrl-C finish the photos
    in hand), reconciling each photo's precinct after its reading. On PostgreSQL, start
    one per machine; on SQLite, one in all."""
    from canvass.store.elections import load_election
    from canvass.store.jobs import uses_job_queue
    from canvass.store.types import utcnow
    from canvass.stories.reconcile import reconcile_photo
    from ingest.work import WorkerConfig, run_worker
    from ocr.read import default_reader

    settings = settings_of(ctx)
    engine = open_database(settings)
    election = load_election(engine)
    config = WorkerConfig(concurrency=concurrency or os.cpu_count() or 1, until_empty=until_empty)
    console = _stderr()
    mode = "the PostgreSQL job queue" if uses_job_queue(engine) else "the local photo table"
    logging.basicConfig(level=logging.WARNING, format="canvass worker: %(message)s")
    if not as_json:
        console.print(
            f"worker (pid {os.getpid()}): reading from {mode}, {config.concurrency} at once"
        )

    def report(photo_id: int, status: ReadStatus) -> None:
        if status == "read":  # its precinct reaches the queue wherever reading happens
            try:
                reconcile_photo(engine, election, photo_id, utcnow())
            except Exception:  # the edge of a long-running loop: reading carries on
                logging.getLogger("canvass.worker").exception("reconciling after a reading")
        if not as_json:
            console.print(f"photo {photo_id}: {status}", markup=False, highlight=False)

    summary = run_worker(settings, engine, election.id, default_reader(election), config, report)
    if as_json:
        emit_json(summary.as_json())
    else:
        console.print(
            f"stopped: read {summary.read}, rejected {summary.rejected}, failed {summary.failed}"
        )


def doctor(
    ctx: typer.Context,
    repair: Annotated[
        bool,
        typer.Option(help="Fix what is safe: delete old orphans, queue jobless photos again."),
    ] = False,
    quick: Annotated[
        bool, typer.Option(help="Check that every blob is there, without hashing it.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Check that the database and the blob store agree; exits 7 when they do not."""
    from canvass.store.types import utcnow
    from ingest.blobs import open_blob_store
    from ingest.doctor import examine

    settings = settings_of(ctx)
    engine = open_database(settings)
    with progress_bar("checking photos", quiet=as_json) as progress:
        report = examine(engine, open_blob_store(settings), utcnow(), not quick, repair, progress)
    if as_json:
        emit_json(report.as_json())
    else:
        _print_report(report)
    if not report.ok:
        raise report.failure()


def _print_report(report: DoctorReport) -> None:
    from rich.table import Table

    from ingest.doctor import ADVICE

    console = stdout_console()
    console.print(f"{report.photos} photo row(s), {report.blobs} blob(s) in the store")
    if not report.findings:
        console.print("the database and the blob store agree")
        return
    table = Table("check", "subject", "detail", "repaired")
    for f in report.findings:
        table.add_row(f.check, f.subject, f.detail, "yes" if f.repaired else "")
    console.print(table)
    for check in sorted(report.counts()):
        console.print(f"{check}: {ADVICE[check]}", markup=False)
