"""`canvass demo`: the main job, the story of election night as far as it is built.

Today: set up the database, load Iowa 2020, and summarise what was loaded. Each stage
that lands adds its step here (math over the state, worksheets, photos, reading,
reconciliation, the review queue, certification).
"""

from __future__ import annotations

import time
from collections import Counter

import typer
from rich.table import Table

from canvass.cli.common import settings_of, stderr_console
from canvass.cli.setup_cmds import builtin_election
from canvass.store.db import migrate, open_engine
from canvass.store.elections import load_election, save_election


def demo(ctx: typer.Context) -> None:
    """Run the whole demo on the configured database (SQLite by default)."""
    settings = settings_of(ctx)
    console = stderr_console()
    started = time.perf_counter()
    engine = open_engine(settings)
    migrate(engine)
    outcome = save_election(engine, builtin_election(settings))
    election = load_election(engine, outcome.election_id)
    console.print(f"[bold]{election.name}[/bold]: {len(election.precincts)} caucus units loaded")
    by_county = Counter(p.county for p in election.precincts)
    table = Table("county", "units", "delegates to elect", title="Largest counties")
    delegates = Counter[str]()
    for p in election.precincts:
        delegates[p.county] += p.delegates_to_elect or 0
    for county, units in by_county.most_common(8):
        table.add_row(county, str(units), str(delegates[county]))
    console.print(table)
    console.print(f"done in {time.perf_counter() - started:.2f} s")
