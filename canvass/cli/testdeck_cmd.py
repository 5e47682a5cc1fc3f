"""`canvass testdeck` (print a county's logic-and-accuracy test deck) and `canvass testdeck
report` (how the reader did on it). Both tell `canvass/stories/testdeck.py`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from canvass.cli.common import JsonFlag, emit_json, open_database, settings_of, stdout_console

testdeck_app = typer.Typer(
    help="Logic-and-accuracy test decks: test sheets to fill by hand, photograph and upload.",
)


@testdeck_app.callback(invoke_without_command=True)
def testdeck(
    ctx: typer.Context,
    county: Annotated[str | None, typer.Option(help="The county whose deck to print.")] = None,
    out: Annotated[Path | None, typer.Option(help="The deck's PDF file.")] = None,
    sheets: Annotated[
        int | None, typer.Option(help="How many sheets (default: one per precinct).")
    ] = None,
    seed: Annotated[
        int, typer.Option(help="Picks the scripted values (same seed, same deck).")
    ] = 1,
    writer: Annotated[
        list[str] | None, typer.Option(help="Who writes the sheets, in turn (repeatable).")
    ] = None,
    by: Annotated[str, typer.Option(help="Who prints the deck (for the audit log).")] = "cli",
    deck: Annotated[
        int | None, typer.Option(help="Print this stored deck again (its same sheets).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Print a county's test deck: per sheet, a test worksheet (its QR code and a band say
    TEST) and a script of values to copy by hand. Staff fill, photograph and upload them
    like real sheets (`canvass ingest --source testdeck`, or the web); test sheets never
    enter results, the queue or a sign-off. Then run `canvass testdeck report`."""
    if ctx.invoked_subcommand is not None:
        return
    if out is None or (county is None) == (deck is None):
        raise typer.BadParameter(
            "give --county NAME (a new deck) or --deck N (again), and --out DECK.pdf; "
            "or: canvass testdeck report"
        )
    from canvass.store.elections import load_election
    from canvass.store.types import utcnow
    from canvass.stories.testdeck import create_deck, print_deck

    engine = open_database(settings_of(ctx))
    election = load_election(engine)
    if deck is not None:
        pages = print_deck(engine, election, deck, out)
        if as_json:
            emit_json({"deck": deck, "pages": pages, "out": str(out)})
        else:
            stdout_console().print(f"test deck {deck}: {pages} pages in {out}", markup=False)
        return
    assert county is not None
    writers = tuple(writer or ())
    done = create_deck(
        engine, election, county, out, by, utcnow(), seed=seed, sheets=sheets, writers=writers
    )
    if as_json:
        emit_json(done.as_json() | {"out": str(out)})
        return
    console = stdout_console()
    console.print(
        f"{done.county}: test deck {done.deck_id}, {len(done.sheets)} sheets "
        f"({done.pages} pages) in {out}",
        markup=False,
    )
    for place, digits in done.untested.items():
        shown = ", ".join(str(d) for d in digits)
        console.print(
            f"no sheet of this deck writes {shown} in {place} (more sheets test more: --sheets)",
            markup=False,
        )


@testdeck_app.command("report")
def report(
    ctx: typer.Context,
    county: Annotated[str | None, typer.Option(help="Only this county.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """How the reader did on the test sheets read so far: per county and per sheet, the
    fields read, verified against the script, every misread, the refused photos and what
    the review queue would have held."""
    from canvass.store.elections import load_election
    from canvass.stories.testdeck import deck_report, field_labels

    engine = open_database(settings_of(ctx))
    election = load_election(engine)
    found = deck_report(engine, election, county).as_json(field_labels(election))
    if as_json:
        emit_json(found)
        return
    _print_report(found)


def _print_report(found: dict[str, Any]) -> None:
    from rich.table import Table

    console = stdout_console()
    if not found["counties"]:
        console.print("no test deck yet: print one with `canvass testdeck --county C --out F.pdf`")
    for c in found["counties"]:
        console.print(
            f"{c['county'] or '(no county named)'}: {c['sheets_read']} of {c['sheets_printed']} "
            f"test sheets read ({c['photos_read']} photos, {c['photos_refused']} refused); "
            f"fields {c['fields']}: {c['read']} read, {c['right']} right, {c['misread']} "
            f"misread, {c['unsure']} unsure, {c['verified']} verified; the queue would hold "
            f"{_queue(c['queue'])}",
            markup=False,
        )
        if not c["sheets"]:
            continue
        table = Table("sheet", "precinct", "writer", "fields", "read", "right", "misread")
        table.add_column("unsure")
        table.add_column("verified")
        table.add_column("queue")
        for s in c["sheets"]:
            table.add_row(
                s["code"],
                s["precinct"],
                s["writer"] or "",
                *(str(s[k]) for k in ("fields", "read", "right", "misread", "unsure", "verified")),
                _queue(s["queue"]),
            )
        console.print(table)
        for s in c["sheets"]:
            for m in s["misreads"]:
                console.print(
                    f"misread {s['code']} {m['label']}: wrote {_shown(m['scripted'])}, "
                    f"read {_shown(m['read'])}",
                    markup=False,
                )
        for r in c["refusals"]:
            console.print(f"refused {r['photo'][:16]}: {r['reason']}", markup=False)
    for code in found["unknown_test_sheets"]:
        console.print(f"test sheet {code} was read but no deck here printed it", markup=False)


def _queue(kinds: dict[str, int]) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in kinds.items()) or "nothing"


def _shown(value: int | None) -> str:
    return "blank" if value is None else str(value)
