"""`canvass math FILE`: the caucus math on tallies (a .json object or JSON Lines).

For an election whose rule set allocates nothing (a general election's precinct results
sheet), FILE holds sheets' numbers instead (`{"precinct": ..., "values": {field key:
count}}`, the form's keys) and the command checks the sheet's identities
(`reconcile.sheet_math.check_sheet`): each sum the paper breaks is a finding.

The precinct's delegates to elect and SDE weight come from the loaded election; with no
database set up, from the built-in Iowa 2020 election, so this works before `canvass init`.
`--dump-certified-iowa2020` prints the certified 2020 results of all 1,765 units as JSON
Lines tallies: the whole state as input for this command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from canvass.cli.common import settings_of


def math(
    ctx: typer.Context,
    file: Annotated[
        Path | None,
        typer.Argument(help="A tally: a .json object, or JSON Lines (.jsonl) for many."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON only, on stdout: one result per line.")
    ] = False,
    dump_certified: Annotated[
        bool,
        typer.Option(
            "--dump-certified-iowa2020",
            help="Print the certified 2020 results of all 1,765 units as JSON Lines tallies.",
        ),
    ] = False,
) -> None:
    """Caucus math on tallies: threshold, viable groups, delegates, SDE and findings. For an
    election whose rules allocate nothing, FILE holds sheets' numbers and their sums are
    checked."""
    from canvass.cli.math_files import run_math

    run_math(settings_of(ctx), file, as_json, dump_certified)
