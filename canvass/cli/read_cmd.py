"""`canvass read PHOTO` and `canvass read-queued`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

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
from canvass.cli.setup_cmds import current_election
from canvass.errors import NotFoundError


def read(
    ctx: typer.Context,
    photo: Annotated[Path, typer.Argument(help="A worksheet photo (JPEG, PNG, HEIC or PDF).")],
    as_json: JsonFlag = False,
) -> None:
    """Read one worksheet photo and print what it says; stores nothing."""
    from rich.table import Table

    from ocr.read import PhotoReader, default_reader

    if not photo.is_file():
        raise NotFoundError(f"{photo}: no such file; check the path")
    reader: PhotoReader = default_reader(current_election(settings_of(ctx)))
    started = time.perf_counter()
    outcome = reader(photo.read_bytes())
    elapsed = time.perf_counter() - started
    if as_json:
        emit_json(outcome.reading.contract_json())
        return
    reading = outcome.reading
    if reading.status == "rejected":
        stderr_console().print(f"rejected: {reading.reason}")
        raise typer.Exit(8)
    table = Table(
        "field", "value", "confidence", "status", title=f"{reading.precinct} ({elapsed:.2f} s)"
    )
    for key, f in reading.fields.items():
        if f.status != "blank":
            table.add_row(
                key, "" if f.value is None else str(f.value), f"{f.confidence:.4f}", f.status
            )
    stdout_console().print(table)


def read_queue(
    ctx: typer.Context,
    workers: Annotated[int | None, typer.Option(help="Processes (default: all cores).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Read every stored photo not yet read, on all cores, then reconcile (what was read
    reaches the review queue at once)."""
    from canvass.store.elections import load_election
    from canvass.store.types import utcnow
    from canvass.stories.reconcile import reconcile_election
    from ingest.blobs import open_blob_store
    from ingest.queue import read_queued
    from ocr.read import default_reader

    settings = settings_of(ctx)
    engine = open_database(settings)
    election = load_election(engine)
    reader = default_reader(election)
    with progress_bar("reading photos", quiet=as_json) as progress:
        summary = read_queued(
            engine,
            election.id,
            open_blob_store(settings, "photos"),
            open_blob_store(settings, "crops"),
            reader,
            workers,
            progress,
        )
    compared = reconcile_election(engine, election, utcnow()).precincts if summary.read else 0
    if as_json:
        emit_json(
            {"read": summary.read, "rejected": summary.rejected, "failed": summary.failed}
            | {"reconciled": compared}
        )
    else:
        stderr_console().print(
            f"read {summary.read}, rejected {summary.rejected}, failed {summary.failed}; "
            f"{compared} precincts reconciled"
        )
