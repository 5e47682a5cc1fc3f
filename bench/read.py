"""Benchmark of the page reader on generated photos whose handwriting it never trained on.

    python -m bench.read [--count 500] [--calibration 120] [--out bench-out]
                         [--semeion fixtures/handwriting/semeion.csv | --semeion none]
                         [--election fixtures/elections/iowa2020-general.json]

Measures the built-in Iowa 2020 caucus worksheet written by two populations of writers:
digits.png's (MNIST, NIST's) and Semeion's (about 80 people outside NIST, in
`--out/semeion/`), side by side; with `--election FILE`, also that election's form on photos
of its own sheets (the same counts, in `--out/<election id>/`), beside the caucus sheet.

1. Generates two sets with `canvass synth photos` (kept in --out, and their readings
   beside them while the reader is unchanged: `bench.read_cache`): calibration photos
   written with the `calibrate` digit samples, evaluation photos with the `evaluate` ones
   (plus 10% photos that must be rejected, of each kind); the same seeds for each
   population and form.
2. Reads every photo on all cores, keeping each field's per-box probabilities.
3. Chooses the confidence bands on the calibration set only (one set of bands for every
   form measured, as the reader has), then measures on the evaluation set: silent errors,
   read rate, verification of true and of wrong values of every kind (`bench.read_wrong`),
   each count with its one-sided 95% upper bound, rejections, speed (one core) and the
   tesseract baseline. Prints tables, writes JSON.
4. Fits the bands on each population's calibration photos and measures them on each
   population's evaluation photos (`read-populations.json`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from functools import partial
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from bench.read_results import FieldSample, PhotoResult

SEMEION = Path(__file__).resolve().parents[1] / "fixtures" / "handwriting" / "semeion.csv"


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_THREAD_LIMIT"):
        os.environ.setdefault(var, "1")  # one core per worker, before numpy loads its BLAS
    from bench.read_print import (
        print_comparison,
        print_cross,
        print_table,
        print_thresholds,
        print_wrong_kinds,
    )
    from bench.read_report import choose_bands, cross_calibration, report
    from bench.read_support import election as load

    out = Path(args.out)
    plans = [Plan("MNIST", out, None, None)]
    if args.semeion != "none":
        plans.append(Plan("Semeion", out / "semeion", None, str(Path(args.semeion).resolve())))
    if args.election:
        path = str(Path(args.election).resolve())
        plans.append(Plan("MNIST", out / load(path).id, path, None))
    sets = [
        (plan, *read_sets(plan.folder, args, plan.election, plan.handwriting)) for plan in plans
    ]
    # The reader has one set of bands for every form: chosen on every form's calibration
    # photos of digits.png's writers together (with the caucus sheet alone, exactly as
    # before); the second population is measured with bands it was not fitted on.
    bands = choose_bands(
        [
            s
            for plan, cal, _ in sets
            if plan.population == "MNIST"
            for p in cal
            if p.status == "read"
            for s in p.fields
        ]
    )
    runs = []
    for plan, calibration, evaluation in sets:
        ev = plan.folder / "photos-evaluate"
        timing = _time_one_core(ev, args.timing, plan.election)
        baseline = _tesseract_baseline(ev, args.tesseract, plan.election)
        figures = report(calibration, evaluation, timing, baseline, load(plan.election), bands)
        figures["population"] = plan.population
        print_table(figures)
        (plan.folder / "read.json").write_text(json.dumps(figures, indent=1), encoding="utf-8")
        print(f"\nwrote {plan.folder / 'read.json'}")
        runs.append(figures)
    caucus = [f for f, (plan, *_) in zip(runs, sets, strict=True) if plan.election is None]
    if len(caucus) > 1:
        print_comparison(caucus, "The two populations of writers side by side (caucus sheet)")
        populations = {plan.population: (cal, ev) for plan, cal, ev in sets if not plan.election}
        cross = cross_calibration(populations)
        print_cross(cross)
        both = out / "read-populations.json"
        both.write_text(json.dumps({"runs": caucus, "cross": cross}, indent=1), encoding="utf-8")
        print(f"\nwrote {both}")
    print_wrong_kinds(runs)
    print_thresholds(runs)
    forms = [f for f, (plan, *_) in zip(runs, sets, strict=True) if plan.population == "MNIST"]
    if len(forms) > 1:
        title = (
            "The forms side by side (one set of bands, chosen on every form's calibration photos)"
        )
        print_comparison(forms, title)
        both = out / "read-forms.json"
        both.write_text(json.dumps(forms, indent=1), encoding="utf-8")
        print(f"\nwrote {both}")
    return 0


@dataclass(frozen=True)
class Plan:
    """One set of photos to measure: whose writing (`population`), where, which election's
    sheets (None: the built-in caucuses) and which handwriting file (None: digits.png)."""

    population: str
    folder: Path
    election: str | None
    handwriting: str | None


def read_sets(
    out: Path, args: argparse.Namespace, election: str | None, handwriting: str | None = None
) -> tuple[list[PhotoResult], list[PhotoResult]]:
    """The calibration and evaluation photos of one election's sheets (None: the built-in
    caucuses), written with digits.png's samples or `handwriting`'s (a Semeion CSV),
    generated once under `out` and read."""
    cal = _generate(
        out / "photos-calibrate", args.calibration, "calibrate", 101, 0.0, election, handwriting
    )
    ev = _generate(
        out / "photos-evaluate", args.count, "evaluate", 202, args.rejects, election, handwriting
    )
    return (
        _read_all(cal, args.workers, election, args.fresh),
        _read_all(ev, args.workers, election, args.fresh),
    )


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.read", description=__doc__)
    parser.add_argument("--count", type=int, default=500, help="evaluation photos")
    parser.add_argument("--calibration", type=int, default=120, help="calibration photos")
    parser.add_argument("--rejects", type=float, default=0.1, help="share of reject photos")
    parser.add_argument("--out", default="bench-out")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--fresh", action="store_true", help="read every photo again (no kept readings)"
    )
    parser.add_argument("--timing", type=int, default=20, help="photos timed on one core")
    parser.add_argument("--tesseract", type=int, default=200, help="fields for the baseline")
    parser.add_argument(
        "--semeion",
        default=str(SEMEION),
        help="the second population of writers (Semeion's CSV), measured beside digits.png's "
        "with bands fitted on the first; 'none' to skip it",
    )
    parser.add_argument(
        "--election",
        default=None,
        help="an election file whose sheets to measure beside the caucus worksheet "
        "(its precincts' real numbers), e.g. fixtures/elections/iowa2020-general.json",
    )
    args = parser.parse_args(argv)
    if args.timing < 1 or args.count < 1 or args.calibration < 1:
        parser.error("--count, --calibration and --timing each need at least 1 photo")
    return args


def _generate(
    folder: Path,
    count: int,
    split: str,
    seed: int,
    rejects: float,
    election: str | None,
    handwriting: str | None = None,
) -> Path:
    """`canvass synth photos`, unless the folder already holds this very set."""
    stamp = folder / "bench-set.json"
    wanted: dict[str, Any] = {"count": count, "split": split, "seed": seed, "rejects": rejects}
    if election is not None:
        wanted["election"] = election
    if handwriting is not None:
        wanted["handwriting"] = handwriting
    if stamp.exists() and json.loads(stamp.read_text()) == wanted:
        return folder
    command = [
        sys.executable,
        "-m",
        "canvass",
        "synth",
        "photos",
        "--out",
        str(folder),
        "--count",
        str(count),
        "--split",
        split,
        "--seed",
        str(seed),
        "--rejects",
        str(rejects),
        *(["--election", election] if election else []),
        *(["--handwriting", handwriting] if handwriting else []),
    ]
    subprocess.run(command, check=True)
    stamp.write_text(json.dumps(wanted))
    return folder


def _photos(folder: Path) -> list[Path]:
    return sorted(folder.glob("photo-*.jpg"))


def _read_all(
    folder: Path, workers: int, election: str | None, fresh: bool = False
) -> list[PhotoResult]:
    """Every photo's reading: kept from the last run by the same reader
    (`bench.read_cache`) unless `fresh`, else read on `workers` cores and kept."""
    from bench.read_cache import load_cached, reader_key, store

    photos = _photos(folder)
    key = reader_key(election)
    cached = None if fresh else load_cached(folder, photos, key)
    if cached is not None:
        print(f"{folder}: {len(cached)} readings kept from the last run by this reader")
        return cached
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        results = list(pool.map(partial(read_one, election=election), photos, chunksize=4))
    store(folder, photos, key, results)
    return results


def read_one(photo: Path, election: str | None = None) -> PhotoResult:
    """Read a photo and pair each field's box probabilities with the ground truth."""
    from bench.read_support import reader

    truth = json.loads(photo.with_suffix(".json").read_text())
    started = time.perf_counter()
    outcome = reader(election)(photo.read_bytes())
    seconds = time.perf_counter() - started
    reading = outcome.reading
    fields = [
        FieldSample(
            photo.name,
            key,
            int(truth["fields"][key]["value"]),
            [list(b) for b in f.boxes],
            bool(truth["fields"][key]["text"]),
        )
        for key, f in reading.fields.items()
        if key in truth["fields"]
    ]
    return PhotoResult(
        photo=photo.name,
        kind=truth["kind"],
        status=reading.status,
        reason=reading.reason,
        precinct_ok=reading.precinct == truth.get("precinct"),
        seconds=seconds,
        fields=fields,
        precinct=truth.get("precinct"),
    )


def _time_one_core(folder: Path, count: int, election: str | None) -> dict[str, float]:
    """Median read and plain full-resolution decode times of the same photos, here."""
    import cv2
    import numpy as np

    from bench.read_support import reader

    cv2.setNumThreads(1)
    photos = [
        p
        for p in _photos(folder)
        if json.loads(p.with_suffix(".json").read_text())["kind"] == "good"
    ]
    photos = photos[:count]
    read = reader(election)
    read(photos[0].read_bytes())  # load the model first: a worker does it once
    reads, decodes, megapixels = [], [], []
    for photo in photos:
        data = photo.read_bytes()
        t0 = time.perf_counter()
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        t1 = time.perf_counter()
        read(data)
        t2 = time.perf_counter()
        decodes.append(t1 - t0)
        reads.append(t2 - t1)
        megapixels.append(0.0 if image is None else image.shape[0] * image.shape[1] / 1e6)
    return {
        "photos": len(photos),
        "median_megapixels": statistics.median(megapixels),
        "median_read_s": statistics.median(reads),
        "median_decode_s": statistics.median(decodes),
        "ratio": statistics.median(reads) / statistics.median(decodes),
    }


def _tesseract_baseline(folder: Path, fields: int, election: str | None) -> dict[str, Any]:
    from bench.read_support import tesseract_fields

    return tesseract_fields(_photos(folder), fields, election)


def as_json(result: PhotoResult) -> dict[str, Any]:
    return asdict(result)


if __name__ == "__main__":
    raise SystemExit(main())
