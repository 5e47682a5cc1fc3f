"""The marker search in windows against ArUco's search of the whole copy (issue 17).

    python -m bench.markers [--photos DIR ...] [--count N] [--out bench-out]

For every photo of each folder (photo sets made by `canvass synth photos`; default the
whole state's good photos, made once by `python -m bench.state`, and a set half of whose
photos must be refused), decodes it as the reader does, makes the detection copy, and runs
both `ocr.markers.find_markers` (a half-size search, then windows) and
`ocr.markers.search` (the whole copy), on one core. Prints, per folder: photos, how many
gave the very same corners (bit for bit), how many differ, how many fell back to the whole
search, and the median CPU time of each. Writes `<out>/markers.json`. "Same" compares the
sheet's four markers (ids 0-3), the only ones `locate_sheet` uses: the whole search may also
report a stray id of the dictionary in the handwriting, which the windows never look for
(counted apart). Any difference in the four is a bug.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from bench.common import print_table, write_json
from ocr.markers import find_markers, search
from ocr.page import CORNER_NAMES, decode_photo, detection_copy

DEFAULT_FOLDERS = ("bench-out/photos/state-seed1-all",)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    cv2.setNumThreads(1)
    expected = set(range(len(CORNER_NAMES)))  # the sheet's markers are ids 0-3, by corner
    figures = {
        "folders": [_compare(Path(f), args.count, expected) for f in args.photos or DEFAULT_FOLDERS]
    }
    rows = [
        [
            Path(f["folder"]).name,
            str(f["photos"]),
            str(f["same"]),
            str(f["different"]),
            str(f["fell_back"]),
            f"{f['whole_ms']:.1f}",
            f"{f['windows_ms']:.1f}",
        ]
        for f in figures["folders"]
    ]
    columns = ["photos", "n", "same corners", "different", "fell back", "whole ms", "windows ms"]
    print_table("Marker search: windows vs the whole copy (one core, CPU)", columns, rows)
    write_json(Path(args.out) / "markers.json", figures)
    return 1 if any(f["different"] for f in figures["folders"]) else 0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.markers", description=__doc__)
    parser.add_argument("--photos", action="append", help="a photo folder (repeatable)")
    parser.add_argument("--count", type=int, default=0, help="photos per folder (0: all)")
    parser.add_argument("--out", default="bench-out", help="where markers.json goes")
    return parser.parse_args(argv)


def _compare(folder: Path, count: int, expected: set[int]) -> dict[str, Any]:
    photos = sorted(folder.glob("*.jpg"))
    photos = photos[:count] if count else photos
    same = fell_back = extra = 0
    different: list[str] = []
    whole_ms: list[float] = []
    windows_ms: list[float] = []
    for path in photos:
        small = detection_copy(decode_photo(path.read_bytes()))
        started = time.process_time()
        whole = search(small)
        whole_ms.append((time.process_time() - started) * 1000)
        started = time.process_time()
        windows = find_markers(small, expected)
        windows_ms.append((time.process_time() - started) * 1000)
        fell_back += _fell_back(small, expected)
        extra += bool(set(whole) - expected)
        if all(
            (k in whole) == (k in windows)
            and (k not in whole or np.array_equal(whole[k], windows[k]))
            for k in expected
        ):
            same += 1
        else:
            different.append(path.name)
    return {
        "folder": str(folder),
        "photos": len(photos),
        "same": same,
        "different": len(different),
        "different_photos": different,
        "fell_back": fell_back,
        "other_ids_seen_by_whole_search": extra,
        "whole_ms": statistics.median(whole_ms) if photos else 0.0,
        "windows_ms": statistics.median(windows_ms) if photos else 0.0,
    }


def _fell_back(small: np.ndarray[Any, Any], expected: set[int]) -> int:
    from ocr.markers import _search_windows  # the bench looks inside on purpose

    return int(_search_windows(small, expected) is None)


if __name__ == "__main__":
    raise SystemExit(main())
