"""`canvass reconcile`, `canvass queue`, `canvass resolve`."""

from __future__ import annotations

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
from canvass.errors import InputError
from canvass.policy import ACTIONS


def reconcile(
    ctx: typer.Context,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Processes comparing precincts (pays for a whole state: 13.4 s on one, "
            "9.3 s on two cores).",
        ),
    ] = 1,
    as_json: JsonFlag = False,
) -> None:
    """Compare the paper with every electronic source and fill the review queue."""
    from canvass.store.elections import load_election
    from canvass.store.types import utcnow
    from canvass.stories.reconcile import reconcile_election

    engine = open_database(settings_of(ctx))
    election = load_election(engine)
    with progress_bar("reconciling", quiet=as_json) as progress:
        summary = reconcile_election(engine, election, utcnow(), progress=progress, workers=workers)
    if as_json:
        emit_json(summary.as_json())
        return
    stderr_console().print(
        f"{summary.precincts} precincts compared: {summary.cleared} cleared, "
        f"{summary.in_review} waiting for review ({summary.fields_cleared} fields cleared "
        f"automatically, {summary.items_created} new items)"
    )


def show_queue(
    ctx: typer.Context,
    county: Annotated[str | None, typer.Option(help="Only this county.")] = None,
    kind: Annotated[
        str | None, typer.Option(help="Only this kind (mismatch, unreadable...).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """The open review items, those that move the most SDE first."""
    from canvass.store.queue_list import queue, queue_json
    from canvass.store.types import utcnow

    # on the tables read from the database: no SQLModel, no election model (issue 17)
    items = queue(open_database(settings_of(ctx)), None, county, kind, reflect=True)
    now = utcnow()
    listed = [queue_json(i, now) for i in items]  # blind items do not show the reports
    if as_json:
        emit_json(listed)
        return
    from rich.table import Table

    table = Table(
        "id",
        "precinct",
        "kind",
        "fields",
        "SDE",
        "CDs",
        "status",
        "what",
        title=f"{len(items)} open",
    )
    for i, shown in zip(items, listed, strict=True):
        table.add_row(
            str(i.id),
            i.precinct_id,
            i.kind,
            ", ".join(i.fields),
            f"{i.effect_sde:.4f}",
            str(i.effect_delegates),
            i.status + (f" (held by {shown['claimed_by']})" if shown["claimed_by"] else ""),
            str(shown["details"].get("message", "")),
        )
    stdout_console().print(table)


def resolve(
    ctx: typer.Context,
    item: Annotated[int, typer.Argument(help="The item id (see `canvass queue`).")],
    reviewer: Annotated[str, typer.Option("--reviewer", help="Your name.")],
    decision: Annotated[
        str | None, typer.Option(help=f"One of: {', '.join(ACTIONS)}. Omit to only claim.")
    ] = None,
    value: Annotated[
        int | None,
        typer.Option(help="paper_says: what the paper shows; confirm_reported: which report."),
    ] = None,
    reason: Annotated[str, typer.Option(help="Why: required with a decision.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Claim an item and, with --decision, decide it (a reason is required). A refused
    decision says why and what to do instead, and leaves the item free."""
    from canvass.store.elections import load_election
    from canvass.store.types import utcnow
    from canvass.stories.review import claim_item, decide_item

    if not reviewer.strip():
        raise InputError("say who you are (--reviewer NAME)")
    engine = open_database(settings_of(ctx))
    now = utcnow()
    if decision is None:
        held = claim_item(engine, item, reviewer, now)
        result = {
            "id": held.id,
            "status": "claimed",
            "message": f"item {item} is yours for 15 minutes (`canvass release {item}` frees it)",
        }
    else:
        election = load_election(engine)
        outcome = decide_item(engine, election, item, reviewer, decision, reason, now, value)
        result = {"id": outcome.item_id, "status": outcome.status, "message": outcome.message}
    if as_json:
        emit_json(result)
    else:
        stderr_console().print(result["message"])


def release(
    ctx: typer.Context,
    item: Annotated[int, typer.Argument(help="The item id you hold.")],
    reviewer: Annotated[str, typer.Option("--reviewer", help="Your name.")],
    as_json: JsonFlag = False,
) -> None:
    """Give up your claim on an item, so another reviewer can take it at once."""
    from canvass.stories.review import release_item

    if not reviewer.strip():
        raise InputError("say who you are (--reviewer NAME)")
    release_item(open_database(settings_of(ctx)), item, reviewer)
    result = {"id": item, "status": "released", "message": f"item {item} is free again"}
    if as_json:
        emit_json(result)
    else:
        stderr_console().print(result["message"])
