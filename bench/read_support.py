"""What the benchmark's worker processes share: the election and its reader (built once per
process; the built-in Iowa caucuses, or an election file) and the tesseract baseline on the
same field boxes."""

from __future__ import annotations

import json
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from canvass.elections.fileformat import load_election_file
from canvass.elections.iowa2020 import build_iowa2020
from canvass.model import Election
from canvass.settings import BUILTIN_DATA
from canvass.worksheet.layout import Box
from ocr.page import cut_region, decode_photo, locate_sheet
from ocr.read import PhotoReader, default_reader
from ocr.tesseract import DIGIT_WHITELIST, read_text


@lru_cache(maxsize=4)
def election(path: str | None = None) -> Election:
    """The election file at `path`, or the built-in Iowa 2020 caucuses (None)."""
    if path is None:
        return build_iowa2020(BUILTIN_DATA / "iowa2020")
    return load_election_file(Path(path))


@lru_cache(maxsize=4)
def reader(path: str | None = None) -> PhotoReader:
    """The reader for the sheets of `election(path)`, built once per process."""
    return default_reader(election(path))


def tesseract_fields(photos: list[Path], limit: int, path: str | None = None) -> dict[str, Any]:
    """Tesseract (psm 7, digits only) on the written fields of good photos, the same
    perspective-corrected boxes the digit model sees, until `limit` fields."""
    layout = reader(path).layout
    right = 0
    total = 0
    seconds = 0.0
    for photo in photos:
        truth = json.loads(photo.with_suffix(".json").read_text())
        if truth["kind"] != "good":
            continue
        sheet = locate_sheet(decode_photo(photo.read_bytes()), layout)
        for f in layout.fields:
            value = int(truth["fields"][f.key]["value"])
            if value == 0 or total >= limit:
                continue
            first, last = f.boxes[0], f.boxes[-1]
            strip = cut_region(
                sheet,
                Box(first.x, first.y, last.x + last.w - first.x, first.h),
                64 * len(f.boxes),
                64,
                0.05,
            )
            started = time.perf_counter()
            text = read_text(strip, psm=7, whitelist=DIGIT_WHITELIST)
            seconds += time.perf_counter() - started
            total += 1
            right += text.strip() == str(value)
        if total >= limit:
            break
    return {
        "fields": total,
        "exact": right / total if total else 0.0,
        "ms_per_field": 1000 * seconds / total if total else 0.0,
    }
