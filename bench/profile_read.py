"""Where one core's time goes when reading a worksheet photo: cProfile over a sample.

Reports the reader's own stages (the functions `ocr.read.read_photo` calls, by cumulative
time) and the functions with the most time of their own, each as a share of the whole.
The sample is read in this process, one photo after another, so the figures are per core.
"""

from __future__ import annotations

import cProfile
import pstats
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from canvass.model import Election
from ocr.read import default_reader

# (module path suffix, function) of the reader's stages, in the order read_photo runs them.
READER_STAGES = (
    ("ocr/page.py", "decode_photo"),
    ("ocr/page.py", "locate_sheet"),
    ("ocr/quality.py", "check_glare"),
    ("ocr/read.py", "identify_sheet"),
    ("ocr/read.py", "read_fields"),
    ("ocr/read.py", "sheet_preview"),
)
# Parts of the stages worth seeing on their own.
DETAIL = (
    ("ocr/page.py", "cut_region"),
    ("ocr/page.py", "cut_many"),
    ("ocr/page.py", "_detect_markers"),
    ("ocr/read.py", "_qr_where_printed"),
    ("ocr/read.py", "field_crop"),
    ("ocr/crossing.py", "crossing_boxes"),
    ("ocr/read.py", "box_probabilities"),
    ("ocr/digit_prep.py", "prepare"),
    ("ocr/svm.py", "decision_values"),
    ("ocr/convnet.py", "forward"),
)


@dataclass(frozen=True)
class ReadProfile:
    photos: int
    seconds_per_photo: float
    stages: dict[str, float]
    details: dict[str, float]
    top_own_time: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {
            "photos": self.photos,
            "seconds_per_photo": round(self.seconds_per_photo, 4),
            "stages_share": {k: round(v, 4) for k, v in self.stages.items()},
            "details_share": {k: round(v, 4) for k, v in self.details.items()},
            "top_own_time": self.top_own_time,
        }


def profile_reading(election: Election, photos: list[Path], top: int = 15) -> ReadProfile:
    """Read `photos` once untimed (models load, caches warm), then profile reading them."""
    reader = default_reader(election)
    blobs = [p.read_bytes() for p in photos]
    reader(blobs[0])
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for data in blobs:
        reader(data)
    profiler.disable()
    elapsed = time.perf_counter() - started
    stats = pstats.Stats(profiler)
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values()) or elapsed
    return ReadProfile(
        photos=len(blobs),
        seconds_per_photo=elapsed / len(blobs),
        stages=_cumulative(raw, READER_STAGES, total),
        details=_cumulative(raw, DETAIL, total),
        top_own_time=_top(raw, total, top),
    )


def _cumulative(
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]],
    wanted: tuple[tuple[str, str], ...],
    total: float,
) -> dict[str, float]:
    shares: dict[str, float] = {}
    for (file, _line, name), (_cc, _nc, _tt, cumulative, _callers) in raw.items():
        for suffix, function in wanted:
            if name == function and file.endswith(suffix):
                label = f"{Path(suffix).stem}.{function}"
                shares[label] = shares.get(label, 0.0) + cumulative / total
    return shares


def _top(
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]], total: float, top: int
) -> list[dict[str, Any]]:
    rows = sorted(raw.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    return [
        {
            "function": _label(file, line, name),
            "calls": calls,
            "own_share": round(own / total, 4),
            "cumulative_share": round(cumulative / total, 4),
        }
        for (file, line, name), (_cc, calls, own, cumulative, _callers) in rows
    ]


def _label(file: str, line: int, name: str) -> str:
    if file == "~":
        return name  # a C function: "<method 'dot' of 'numpy.ndarray' objects>" and the like
    parts = Path(file).parts
    short = "/".join(parts[-2:]) if len(parts) >= 2 else file
    return f"{short}:{line}({name})"
