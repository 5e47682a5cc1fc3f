"""Benchmark of the digit model on the held-out `evaluate` split, with tesseract beside it.

    .venv/bin/python -m bench.digits [--out bench-out/digits.json] [--tesseract 200]

Renders every evaluate sample as box crops (`training.augment`, a seed of its own), plus
not-a-single-digit and blank boxes, reads them with the committed model at its committed
threshold (chosen on the calibrate split: nothing here is tuned), and prints accuracy,
accept rate, errors among accepted (with a 95% upper bound), negatives accepted, blank
handling and ms per box on one core. Tesseract (psm 10, digits whitelist,
OMP_THREAD_LIMIT=1) reads a seeded subsample of the same digit crops. The process pins
itself to one CPU so the timings are per core. Takes about a minute.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from rich.console import Console
from rich.table import Table

from canvass.errors import CanvassError
from canvass.settings import REPO_ROOT
from ocr.digits import DEFAULT_MODEL, load_engine
from ocr.tesseract import read_digit
from training.augment import Rendered
from training.digit_metrics import RenderPlan, measure, render_split
from training.train_digits import DIGITS_PNG

EVALUATE_PLAN = RenderPlan("evaluate", 7, 3, 2000, 500)
BATCH = 100


def pin_to_one_core() -> None:
    """Runs this process (all its threads) on a single CPU, for per-core timings."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    cv2.setNumThreads(1)


def bench_model(rendered: Rendered, model: Path) -> dict[str, Any]:
    """The model's figures and timings on the rendered crops."""
    started = time.perf_counter()
    engine = load_engine(model)
    load_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    readings = []
    for start in range(0, len(rendered.crops), BATCH):
        readings += engine.classify(rendered.crops[start : start + BATCH])
    batch_ms = (time.perf_counter() - started) * 1000 / len(rendered.crops)
    started = time.perf_counter()
    for crop in rendered.crops[:200]:
        engine.classify([crop])
    single_ms = (time.perf_counter() - started) * 1000 / min(200, len(rendered.crops))
    figures = measure(readings, rendered.labels, rendered.kinds)
    figures.update(
        {
            "threshold": engine.threshold,
            "load_ms": round(load_ms, 1),
            "ms_per_box_batched": round(batch_ms, 3),
            "ms_per_box_single": round(single_ms, 3),
        }
    )
    return figures


def bench_tesseract(rendered: Rendered, count: int, seed: int) -> dict[str, Any]:
    """Tesseract's exact-read rate on a seeded subsample of the digit crops."""
    digits = np.nonzero((rendered.labels >= 0) & (rendered.labels <= 9))[0]
    pick = np.random.default_rng(seed).choice(digits, size=min(count, len(digits)), replace=False)
    right = empty = 0
    started = time.perf_counter()
    for i in pick:
        read = read_digit(rendered.crops[i])
        right += int(read == rendered.labels[i])
        empty += int(read is None)
    ms = (time.perf_counter() - started) * 1000 / max(len(pick), 1)
    return {
        "crops": len(pick),
        "accuracy": right / max(len(pick), 1),
        "no_reading": empty / max(len(pick), 1),
        "ms_per_crop": round(ms, 1),
    }


def table(model: dict[str, Any], tess: dict[str, Any] | None) -> Table:
    """The printed summary."""
    out = Table(title=f"digit boxes, evaluate split ({model['digit_crops']} digit crops)")
    out.add_column("figure")
    out.add_column("digit model", justify="right")
    out.add_column("tesseract psm 10", justify="right")
    none = "-"
    rows = [
        (
            "accuracy (top reading)",
            f"{model['accuracy']:.4f}",
            f"{tess['accuracy']:.4f} (n={tess['crops']})" if tess else none,
        ),
        ("accept rate at threshold", f"{model['accept_rate']:.4f}", none),
        ("errors among accepted", f"{model['errors_among_accepted']} / {model['accepted']}", none),
        (
            "error rate among accepted (95% upper)",
            f"{model['error_rate_among_accepted']:.5f} ({model['error_rate_upper_95']:.5f})",
            none,
        ),
        ("digits read as blank", str(model["read_as_blank"]), none),
        ("negatives accepted", f"{model['negatives_accepted']} / {model['negative_crops']}", none),
        (
            "blanks accepted blank / as digit",
            f"{model['blanks_accepted_blank']} / {model['blanks_accepted_as_digit']} of "
            f"{model['blank_crops']}",
            none,
        ),
        (
            "ms per box, batches of 100 / single",
            f"{model['ms_per_box_batched']} / {model['ms_per_box_single']}",
            f"{tess['ms_per_crop']}" if tess else none,
        ),
    ]
    for row in rows:
        out.add_row(*row)
    return out


def main() -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench-out" / "digits.json")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--tesseract", type=int, default=200, help="crops; 0 to skip")
    args = parser.parse_args()
    pin_to_one_core()
    rendered = render_split(DIGITS_PNG, EVALUATE_PLAN)
    model = bench_model(rendered, args.model)
    tess: dict[str, Any] | None = None
    if args.tesseract:
        try:
            tess = bench_tesseract(rendered, args.tesseract, EVALUATE_PLAN.seed)
        except CanvassError as exc:
            Console(stderr=True).print(f"tesseract baseline skipped: {exc}")
    Console().print(table(model, tess))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = {"render": vars(EVALUATE_PLAN), "model": model, "tesseract": tess}
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
