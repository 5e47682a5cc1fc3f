"""`canvass demo`: the main job (see `canvass.demo`), printed for a person."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from canvass.cli.common import progress_bar, settings_of, stdout_console

if TYPE_CHECKING:
    from rich.console import Console

    from canvass.demo import DemoResult


def demo(
    ctx: typer.Context,
    county: Annotated[list[str] | None, typer.Option(help="A county to run (repeatable).")] = None,
    every: Annotated[
        bool, typer.Option("--all", help="Every precinct (the caucuses: all 1,765 units).")
    ] = False,
    election: Annotated[
        Path | None,
        typer.Option(
            help="An election file with built-in numbers (fixtures/elections/"
            "iowa2020-general.json); default: the Iowa 2020 caucuses."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Photos and injected errors follow the seed.")] = 2020,
    serve: Annotated[
        bool, typer.Option("--serve", help="Then serve the web app with demo accounts.")
    ] = False,
    host: Annotated[str, typer.Option(help="With --serve: the address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="With --serve: the port.")] = 8000,
) -> None:
    """Election night on the configured database (SQLite by default), end to end."""
    from canvass.cli.web_cmds import serve_demo
    from canvass.demo import default_counties, demo_election, run_demo

    settings = settings_of(ctx)
    chosen = demo_election(settings, election)
    counties = None if every else tuple(county or default_counties(chosen) or ()) or None
    console = stdout_console()
    where = "all counties" if counties is None else ", ".join(counties)
    console.print(f"[bold]canvass demo[/bold]: {chosen.name}, {where}; data in {settings.data_dir}")
    bar = lambda label: progress_bar(label, quiet=False)  # noqa: E731
    result = run_demo(settings, counties, seed, bar, election)
    _print(console, result)
    if serve:
        serve_demo(settings, host, port, counties)


def _print(console: Console, r: DemoResult) -> None:
    from rich.table import Table

    from canvass.store.types import utcnow
    from canvass.stories.review import queue_json

    stages = Table("stage", "seconds", title="Time taken")
    for stage, seconds in r.seconds.items():
        stages.add_row(stage, f"{seconds:.1f}")
    stages.add_row("total", f"{sum(r.seconds.values()):.1f}")
    console.print(stages)
    read, rec = r.read, r.reconciled
    if read is not None:
        console.print(
            f"photos: {r.photos} photographed, {r.stored} newly stored; read {read.read}, "
            f"rejected {read.rejected}, failed {read.failed}"
        )
    if rec is not None:
        console.print(
            f"reconciled {rec.precincts} precincts: {rec.cleared} cleared with nothing to review, "
            f"{rec.in_review} waiting in the review queue; {rec.fields_cleared} fields cleared "
            "automatically because the paper supports the report"
        )
    kinds = Table("kind", "open items", title="Review queue")
    for kind, n in Counter(i.kind for i in r.queue).most_common():
        kinds.add_row(kind, str(n))
    console.print(kinds)
    caught = len(r.injected) - len(r.missed)
    console.print(
        f"injected report errors caught in the queue: [bold]{caught} of {len(r.injected)}[/bold]"
    )
    for error in r.missed:
        console.print(f"  MISSED: {error.precinct} {error.kind}: {error.description}")
    unit = r.effect_unit
    top = Table("id", "precinct", "kind", unit, "what", title="Top of the queue (by effect)")
    now = utcnow()
    for item in r.queue[:8]:
        shown = queue_json(item, now)  # blind items do not show the reports
        top.add_row(
            str(item.id),
            item.precinct_id,
            item.kind,
            f"{item.effect_sde:.3f}" if unit == "SDE" else str(item.effect_delegates),
            str(shown["details"].get("message", ""))[:70],
        )
    console.print(top)
    console.print("next: `canvass queue`, `canvass resolve ID ...`, `canvass certify ...`")
