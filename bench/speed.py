"""How long one core takes to read one 8-12 MP worksheet photo, against that photo's own
full JPEG decode (issue 17's target: read <= 2x decode, median over >= 50 photos).

    python -m bench.speed [--count 60] [--repeat 3] [--out bench-out/speed]
                          [--synth DIR] [--kinds synth,phone]

Two kinds of photo, both of the built-in caucus worksheet written with `evaluate` digit
samples (never trained or calibrated on):

- `synth`: `canvass synth photos` output (made once in --out, or the good photos of an
  existing set given with --synth, e.g. bench.read's photos-evaluate);
- `phone`: photos made another way (`bench.speed_photos`: a keystone instead of a 3-D pose,
  a lamp-lit ramp, a defocus disc, shot noise, phone sharpening, colour JPEG 4:2:0 at
  quality 85-92, some taken sideways).

Everything runs in this process on one core (OpenCV and BLAS limited to one thread). Each
photo is decoded in full colour (`cv2.IMREAD_COLOR`: "its own full JPEG decode", as
bench.read times it), decoded in grey, and read (`ocr.read.read_photo`, the real thing),
`--repeat` times interleaved; the fastest of each counts (the machine is shared, and load
only ever adds time). The ratio is per photo (read / its own decode), then the median. A
second pass times the reader's stages one by one (`stage_times`: the calls `read_photo`
makes) for the breakdown. The readings are scored against the ground truth (fields read
`ok`/`blank`, and how many of those are wrong) so a faster reader that reads worse shows
it here too.
Prints a table and writes --out/speed.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from bench.common import THREAD_VARS, print_table, write_json

SYNTH_SEED = 303
PHONE_SEED = 404


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    for var in THREAD_VARS:
        os.environ[var] = "1"  # one core, before numpy loads its BLAS
    import cv2

    cv2.setNumThreads(1)
    figures: dict[str, Any] = {"count": args.count, "repeat": args.repeat, "load": _load()}
    for kind in args.kinds.split(","):
        photos = _photos(kind, args)
        figures[kind] = time_photos(photos, args.repeat)
    figures["load_after"] = _load()
    _print(figures, args.kinds.split(","))
    write_json(Path(args.out) / "speed.json", figures)
    return 0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.speed", description=__doc__)
    parser.add_argument("--count", type=int, default=60, help="photos of each kind")
    parser.add_argument("--repeat", type=int, default=3, help="timed reads of each photo")
    parser.add_argument("--out", default="bench-out/speed")
    parser.add_argument("--synth", default=None, help="a canvass synth photos folder to use")
    parser.add_argument("--kinds", default="synth,phone", help="synth, phone or both")
    args = parser.parse_args(argv)
    if args.count < 1 or args.repeat < 1:
        parser.error("--count and --repeat need at least 1")
    if not set(args.kinds.split(",")) <= {"synth", "phone"}:
        parser.error("--kinds: synth, phone or synth,phone")
    return args


def _photos(kind: str, args: argparse.Namespace) -> list[Path]:
    """The first --count good photos of `kind`, made once under --out."""
    from bench.common import generate
    from bench.read_support import election
    from bench.speed_photos import phone_photo_set

    out = Path(args.out)
    if kind == "phone":
        return phone_photo_set(
            out / f"phone-seed{PHONE_SEED}-n{args.count}", election(), args.count, PHONE_SEED
        )
    folder = Path(args.synth) if args.synth else out / f"synth-seed{SYNTH_SEED}-n{args.count}"
    if args.synth is None and not (folder / "manifest.jsonl").exists():
        generate(folder, args.count, SYNTH_SEED)
    good = [p for p in sorted(folder.glob("photo-*.jpg")) if _truth(p)["kind"] == "good"]
    return good[: args.count]


def _truth(photo: Path) -> dict[str, Any]:
    return dict(json.loads(photo.with_suffix(".json").read_text()))


def time_photos(photos: list[Path], repeat: int) -> dict[str, Any]:
    """Per photo: fastest full colour decode, grey decode and read of `repeat`; then each
    stage's time; medians over the photos, and the readings scored."""
    import cv2
    import numpy as np

    from bench.read_support import reader

    read = reader(None)
    read(photos[0].read_bytes())  # load the models first: a worker does it once
    rows: list[dict[str, Any]] = []
    score = {"fields": 0, "read": 0, "wrong": 0, "rejected": 0}
    for photo in photos:
        data = photo.read_bytes()
        buffer = np.frombuffer(data, np.uint8)
        colour = [_timed(partial(cv2.imdecode, buffer, cv2.IMREAD_COLOR)) for _ in range(repeat)]
        grey = [_timed(partial(cv2.imdecode, buffer, cv2.IMREAD_GRAYSCALE)) for _ in range(repeat)]
        outcomes: list[Any] = []
        reading = [_timed(partial(_keep, outcomes, read, data)) for _ in range(repeat)]
        outcome = outcomes[-1]
        stages = min((stage_times(data, read) for _ in range(repeat)), key=_cpu_total)
        _score(outcome.reading, _truth(photo), score)
        height, width = np.asarray(cv2.imdecode(buffer, cv2.IMREAD_GRAYSCALE)).shape
        rows.append(
            {
                "photo": photo.name,
                "megapixels": round(height * width / 1e6, 2),
                "decode": _fastest(colour),
                "decode_grey": _fastest(grey),
                "read": _fastest(reading),
                "stages": stages,
            }
        )
    return _summary(rows, score, list(rows[0]["stages"]))


def _timed(work: Callable[[], object]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of `work`. CPU time is what one core spends, and hardly
    grows when other processes share the machine; wall time does."""
    cpu, wall = time.process_time(), time.perf_counter()
    work()
    return time.process_time() - cpu, time.perf_counter() - wall


def _keep(outcomes: list[Any], read: Callable[[bytes], Any], data: bytes) -> None:
    """Read `data` and keep the outcome (scored afterwards, outside the timing)."""
    outcomes.append(read(data))


def _fastest(times: list[tuple[float, float]]) -> tuple[float, float]:
    """The least CPU and the least wall time of a few tries."""
    return min(cpu for cpu, _ in times), min(wall for _, wall in times)


def _cpu_total(stages: dict[str, tuple[float, float]]) -> float:
    return sum(cpu for cpu, _ in stages.values())


def stage_times(data: bytes, reader: Any) -> dict[str, tuple[float, float]]:
    """(CPU, wall) seconds of each stage of `ocr.read.read_photo` on `data`: the same calls,
    in the same order, each timed (keep in step with read_photo)."""
    from ocr.page import decode_photo, locate_sheet
    from ocr.quality import check_glare
    from ocr.read import identify_sheet, read_fields, sheet_preview

    layout = reader.layout
    found: dict[str, Any] = {}
    steps: list[tuple[str, Callable[[], object]]] = [
        ("decode", lambda: found.update(image=decode_photo(data))),
        ("markers", lambda: found.update(sheet=locate_sheet(found["image"], layout))),
        ("glare", lambda: check_glare(found["sheet"], layout)),
        ("qr", lambda: identify_sheet(found["sheet"], reader)),
        ("fields", lambda: read_fields(found["sheet"], reader)),
        ("preview", lambda: sheet_preview(found["sheet"], layout)),
    ]
    return {name: _timed(step) for name, step in steps}


def _score(reading: Any, truth: dict[str, Any], score: dict[str, int]) -> None:
    """Fields read surely (`ok`/`blank`) and how many of those are wrong."""
    if reading.status != "read":
        score["rejected"] += 1
        return
    for key, field in reading.fields.items():
        if key not in truth["fields"]:
            continue
        score["fields"] += 1
        if field.status in ("ok", "blank"):
            score["read"] += 1
            score["wrong"] += (field.value or 0) != int(truth["fields"][key]["value"])


def _summary(
    rows: list[dict[str, Any]], score: dict[str, int], stages: list[str]
) -> dict[str, Any]:
    """Medians over the photos, of CPU and of wall time; the ratio per photo, then its
    median."""
    out: dict[str, Any] = {"photos": len(rows)}
    out["median_megapixels"] = statistics.median(r["megapixels"] for r in rows)
    for clock, at in (("cpu", 0), ("wall", 1)):
        ratios = sorted(r["read"][at] / r["decode"][at] for r in rows)
        out[clock] = {
            "median_decode_s": statistics.median(r["decode"][at] for r in rows),
            "median_decode_grey_s": statistics.median(r["decode_grey"][at] for r in rows),
            "median_read_s": statistics.median(r["read"][at] for r in rows),
            "median_ratio": statistics.median(ratios),
            "ratio_p90": ratios[int(0.9 * (len(ratios) - 1))],
            "stages_median_s": {
                s: statistics.median(r["stages"][s][at] for r in rows) for s in stages
            },
        }
    out["score"] = score
    out["per_photo"] = rows
    return out


def _load() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


def _stage_ms(stage: str, figures: dict[str, Any]) -> str:
    return f"{1000 * figures['stages_median_s'][stage]:.0f} ms"


def _print(figures: dict[str, Any], kinds: list[str]) -> None:
    columns = [(k, c) for k in kinds for c in ("cpu", "wall")]

    def line(label: str, value: Callable[[dict[str, Any]], str]) -> list[str]:
        return [label, *[value(figures[k][c]) for k, c in columns]]

    def ms(seconds: float) -> str:
        return f"{1000 * seconds:.0f} ms"

    rows = [
        line("full JPEG decode (colour)", lambda f: ms(f["median_decode_s"])),
        line("grey JPEG decode", lambda f: ms(f["median_decode_grey_s"])),
        line("read (read_photo)", lambda f: ms(f["median_read_s"])),
        line("read / its own decode, median", lambda f: f"{f['median_ratio']:.2f}x"),
        line("read / its own decode, 90th pct", lambda f: f"{f['ratio_p90']:.2f}x"),
    ]
    for stage in figures[kinds[0]]["cpu"]["stages_median_s"]:
        rows.append(line(f"  stage: {stage}", partial(_stage_ms, stage)))
    for key in ("fields", "read", "wrong", "rejected"):
        rows.append(["readings: " + key, *[str(figures[k]["score"][key]) for k, _ in columns]])
    rows.append(["photos", *[str(figures[k]["photos"]) for k, _ in columns]])
    rows.append(
        ["median megapixels", *[f"{figures[k]['median_megapixels']:.1f}" for k, _ in columns]]
    )
    title = (
        f"One core, median per photo; target read <= 2x its own decode "
        f"(load average {figures['load']} -> {figures['load_after']})"
    )
    print_table(title, ["measure", *[f"{k} ({c})" for k, c in columns]], rows)


if __name__ == "__main__":
    raise SystemExit(main())
