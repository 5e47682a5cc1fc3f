"""`canvass synth photos`: realistic photos of filled worksheets, with ground truth.

The sheets are the current election's form (or `--election FILE`'s), filled with its real
numbers (`canvass.synth.sources.units_for`) or `--tallies FILE`'s."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from canvass.cli.common import emit_json, progress_bar, settings_of, stderr_console
from canvass.cli.setup_cmds import current_election
from canvass.cli.worksheet_cmd import county_precincts
from canvass.errors import InputError

if TYPE_CHECKING:
    from canvass.handwriting import Split

DEFAULT_COUNT = 20
PHOTO_SPLITS: dict[str, Split] = {"evaluate": "evaluate", "calibrate": "calibrate"}

synth_app = typer.Typer(
    help="Synthetic worksheet photos with ground truth (for testing the reader).",
    no_args_is_help=True,
)


@synth_app.command("photos")
def photos(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="Folder for the photos, ground truth and manifest.")],
    count: Annotated[
        int | None, typer.Option(help=f"How many photos (default {DEFAULT_COUNT}).")
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="One photo of every precinct.")] = False,
    county: Annotated[str | None, typer.Option(help="Only this county's precincts.")] = None,
    seed: Annotated[int, typer.Option(help="Same seed, same photos, byte for byte.")] = 0,
    split: Annotated[
        str, typer.Option(help="Digit samples to write with: evaluate or calibrate.")
    ] = "evaluate",
    rejects: Annotated[
        float, typer.Option(help="Share of photos that must be rejected, spread evenly.")
    ] = 0.1,
    scale: Annotated[
        float, typer.Option(help="Shrink the photos (e.g. 0.25 for quick tests).")
    ] = 1.0,
    size: Annotated[
        str | None, typer.Option(help="Fixed photo size WxH (default: 8-12 MP phone sizes).")
    ] = None,
    tallies: Annotated[
        Path | None,
        typer.Option(
            help="Write these numbers instead of 2020's: SheetNumbers records (any form) or "
            "Tallies (caucus), JSON Lines."
        ),
    ] = None,
    election_file: Annotated[
        Path | None,
        typer.Option(
            "--election",
            help="An election file (JSON) instead of the current election, e.g. "
            "fixtures/elections/iowa2020-general.json for precinct results sheets.",
        ),
    ] = None,
    handwriting: Annotated[
        Path | None,
        typer.Option(
            help="Write with these digit samples instead of the built-in MNIST ones, e.g. "
            "fixtures/handwriting/semeion.csv (a second population of writers).",
        ),
    ] = None,
    workers: Annotated[int | None, typer.Option(help="Processes (default: all cores).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only, on stdout.")] = False,
) -> None:
    """Fill worksheets with real handwritten digits and photograph them like a phone does."""
    from canvass.elections.fileformat import load_election_file
    from canvass.synth.generate import MANIFEST, SynthConfig, generate_set, plan_jobs
    from canvass.synth.sources import file_units, units_for

    settings = settings_of(ctx)
    chosen_split = _photo_split(split)
    if every and count is not None:
        raise InputError("give --count N or --all, not both")
    if not 0.05 <= scale <= 1.0:
        raise InputError(f"--scale {scale}: give a factor between 0.05 and 1")
    election = load_election_file(election_file) if election_file else current_election(settings)
    units = file_units(tallies, election) if tallies else units_for(election, settings.fixtures_dir)
    if county is not None:
        keep = {p.id for p in county_precincts(election, county)}
        units = [u for u in units if u[0].id in keep]
    jobs = plan_jobs(units, None if every else (count or DEFAULT_COUNT), seed, rejects)
    config = SynthConfig(
        seed=seed,
        split=chosen_split,
        digits_path=handwriting or settings.fixtures_dir / "handwriting" / "digits.png",
        scale=scale,
        size=_size(size),
    )
    started = time.perf_counter()
    with progress_bar("photographing worksheets", as_json) as update:
        summary = generate_set(jobs, config, election, out, workers, update)
    seconds = time.perf_counter() - started
    result = {
        "photos": summary.photos,
        "kinds": summary.kinds,
        "out": str(out),
        "manifest": str(out / MANIFEST),
        "seconds": round(seconds, 2),
        "photos_per_second": round(summary.photos / seconds, 2) if seconds else None,
    }
    if as_json:
        emit_json(result)
        return
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(summary.kinds.items()))
    stderr_console().print(
        f"wrote {summary.photos} photos ({kinds}) to {out} in {seconds:.1f} s "
        f"({result['photos_per_second']} photos/s); ground truth beside each, {MANIFEST}"
    )


def _photo_split(split: str) -> Split:
    if split == "train":
        raise InputError(
            "--split train: training digits never fill photos (the reader learns from them); "
            "use evaluate or calibrate"
        )
    if split not in PHOTO_SPLITS:
        raise InputError(f"--split {split!r}: use evaluate or calibrate")
    return PHOTO_SPLITS[split]


def _size(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError as exc:
        raise InputError(f"--size {text!r}: give WIDTHxHEIGHT in pixels, e.g. 3000x4000") from exc
    if not (64 <= width <= 12000 and 64 <= height <= 12000):
        raise InputError(f"--size {text}: each side must be 64 to 12000 pixels")
    return width, height
