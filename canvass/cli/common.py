"""What every command shares: the settings from the context, JSON output, progress bars.

Kept light on purpose (issue 17): every command module imports this one, and `canvass
--help`, `status`, `queue` must start in well under a second, so the database, rich's
progress bars and the like are imported inside the functions that use them. Command
modules follow the same rule: at module level only typer, the standard library and this
module; each command imports its work (OpenCV, the reader, the generator, the web app,
the store) inside its function. `tests/test_cli_imports.py` holds them to it."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy import Engine

    from canvass.progress import ProgressCallback
    from canvass.settings import Settings

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON only, on stdout.")]


def settings_of(ctx: typer.Context) -> Settings:
    """The settings the top-level callback read from the environment."""
    if ctx.obj is None:
        from canvass.settings import load_settings

        ctx.obj = load_settings()
    settings: Settings = ctx.find_root().obj or ctx.obj
    return settings


def open_database(settings: Settings) -> Engine:
    """An engine on an initialised, up-to-date database (else a NotReadyError saying what to do)."""
    from canvass.store.db import open_engine, require_current_schema

    engine = open_engine(settings)
    require_current_schema(engine)
    return engine


def emit_json(value: Any) -> None:
    """JSON only, on stdout: what `--json` promises to scripts."""
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=None) + "\n")
    sys.stdout.flush()


def stderr_console() -> Console:
    from rich.console import Console

    return Console(stderr=True)


def stdout_console() -> Console:
    from rich.console import Console

    return Console()


@contextmanager
def progress_bar(description: str, quiet: bool) -> Iterator[ProgressCallback]:
    """Yields a `(done, total)` callback: a rich bar on a terminal, nothing otherwise."""
    console = stderr_console()
    if quiet or not console.is_terminal:
        yield lambda done, total: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield update
