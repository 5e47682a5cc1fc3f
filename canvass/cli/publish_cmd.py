"""`canvass publish` and `canvass verify-publication`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from canvass.cli.common import JsonFlag, emit_json, open_database, settings_of, stderr_console


def publish(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="A new or empty folder for the static site.")],
    publisher: Annotated[str, typer.Option(help="Your account (a certifier or an administrator).")],
    county: Annotated[str | None, typer.Option(help="Only this county.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Write the results as a static site (HTML, JSON, CSV) with every number's photo,
    crop and justification, the evidence manifest and its offline checker."""
    from canvass.store.elections import load_election
    from canvass.store.types import utcnow
    from canvass.stories.publish import publish as publish_story
    from ingest.blobs import open_blob_store

    settings = settings_of(ctx)
    engine = open_database(settings)
    election = load_election(engine)
    photos, crops = open_blob_store(settings, "photos"), open_blob_store(settings, "crops")
    done = publish_story(engine, election, out, county, publisher, photos, crops, utcnow())
    if as_json:
        emit_json(done.as_json())
        return
    w = done.written
    stderr_console().print(
        f"{done.scope}: {w.numbers} numbers of {w.precincts} precincts published in {out} "
        f"by {done.publisher}; manifest {w.manifest_sha256}. Check it with "
        f"`python3 {out / 'verify_publication.py'}`",
        markup=False,
    )


def verify_publication(
    folder: Annotated[Path, typer.Argument(help="The folder `canvass publish` wrote.")],
    as_json: JsonFlag = False,
) -> None:
    """Check an export offline: every file against its SHA-256, every number against its
    justification and the manifest. Exits 1 naming each problem."""
    from canvass.stories.publish import verify_publication as verify_story

    problems, summary = verify_story(folder)
    if as_json:
        emit_json({"verified": not problems, "problems": problems, "summary": summary})
    else:
        for problem in problems:
            typer.echo(f"FAIL {problem}", err=True)
        failed = f"{len(problems)} problem(s): this publication does not verify"
        typer.echo(failed if problems else summary, err=bool(problems))
    if problems:
        raise typer.Exit(1)
