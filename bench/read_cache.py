"""The read benchmark's readings, kept beside each set of photos so that a second run (new
wrong-value kinds, other bands, a report change) does not read 640 photos again.

A cache is used only when it was written by the same reader: its key is a hash of every
source and model file that turns a photo into box probabilities (`ocr/`, the worksheet's
layout and forms, the election data the reader is built from, and the benchmark's own
reading code). Any change there reads the photos again; `--fresh` always does.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.read_results import FieldSample, PhotoResult

ROOT = Path(__file__).resolve().parents[1]
READER_SOURCES = (
    "ocr",
    "canvass/worksheet",
    "canvass/forms",
    "canvass/model.py",
    "canvass/elections",
    "bench/read.py",
    "bench/read_results.py",
    "bench/read_support.py",
)
CACHE = "readings.json"


def reader_key(election: str | None) -> str:
    """A hash of everything that decides what the reader makes of a photo."""
    digest = hashlib.sha256(str(election).encode())
    for name in READER_SOURCES:
        path = ROOT / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            if f.suffix in (".pyc",) or "__pycache__" in f.parts:
                continue
            digest.update(str(f.relative_to(ROOT)).encode())
            digest.update(hashlib.sha256(f.read_bytes()).digest())
    return digest.hexdigest()


def load_cached(folder: Path, photos: list[Path], key: str) -> list[PhotoResult] | None:
    """The readings stored in `folder` for exactly these photos by this reader, or None."""
    path = folder / CACHE
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("key") != key or data.get("photos") != [p.name for p in photos]:
        return None
    return [as_result(r) for r in data["results"]]


def store(folder: Path, photos: list[Path], key: str, results: list[PhotoResult]) -> None:
    """Keep the readings of `photos` for the next run."""
    data = {
        "key": key,
        "photos": [p.name for p in photos],
        "results": [asdict(r) for r in results],
    }
    (folder / CACHE).write_text(json.dumps(data), encoding="utf-8")


def as_result(data: dict[str, Any]) -> PhotoResult:
    fields = [FieldSample(**f) for f in data["fields"]]
    return PhotoResult(**{**data, "fields": fields})
