"""Whole-state throughput: every precinct's worksheet photo through canvass, end to end.

    python -m bench.state [--count 1765] [--photos bench-out/photos] [--out bench-out]

Generates the photos once (`canvass synth photos`, 8-12 MP JPEGs of the 2020 numbers, cached
in --photos), then on a fresh data directory times the product's own stages: init (schema
and Iowa 2020), ingest (every photo checked, stored and queued, as `canvass ingest` does),
read-queued (all cores), reports import (the demo's app and hotline reports), reconcile.
`--overlap` reads while ingesting (as `canvass worker` reads while uploads arrive);
`--reconcile-workers N` compares the precincts on N processes.
Then profiles reading on a sample (one core, cProfile). Prints a table; writes
`<out>/state.json`. The target is the whole state in under 60 s on two cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from bench.common import (
    STATE_UNITS,
    Clock,
    PhotoEntry,
    one_thread_per_process,
    photo_set,
    print_table,
    write_json,
)

TARGET_SECONDS = 60.0


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    one_thread_per_process()
    from bench.state_run import StateRun
    from canvass.settings import Settings

    out = Path(args.out)
    photos = photo_set(Path(args.photos), args.count, args.seed)
    data_dir = out / "state-data"
    shutil.rmtree(data_dir, ignore_errors=True)
    settings = Settings(data_dir=data_dir, database_url=args.database_url)
    cores = os.cpu_count() or 1
    run = StateRun(
        settings, photos, args.seed, args.workers or cores, args.overlap, args.reconcile_workers
    )
    clock = run.run_all()
    profile = run.profile(args.profile) if args.profile else None
    figures = _figures(clock, photos, cores, run.results, profile)
    _print(figures)
    write_json(out / "state.json", figures)
    return 0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.state", description=__doc__)
    parser.add_argument("--count", type=int, default=STATE_UNITS, help="photos (default all)")
    parser.add_argument("--photos", default="bench-out/photos", help="photo cache folder")
    parser.add_argument("--out", default="bench-out", help="where state.json goes")
    parser.add_argument("--seed", type=int, default=1, help="photo and report seed")
    parser.add_argument("--workers", type=int, default=None, help="reader processes")
    parser.add_argument("--profile", type=int, default=6, help="photos to profile (0: none)")
    parser.add_argument(
        "--overlap",
        action="store_true",
        help="read while ingesting (as canvass worker does), instead of ingest then read",
    )
    parser.add_argument(
        "--reconcile-workers", type=int, default=1, help="processes comparing precincts"
    )
    parser.add_argument(
        "--database-url", default=None, help="an empty PostgreSQL database instead of SQLite"
    )
    return parser.parse_args(argv)


def _figures(
    clock: Clock,
    photos: list[PhotoEntry],
    cores: int,
    results: dict[str, Any],
    profile: dict[str, Any] | None,
) -> dict[str, Any]:
    total = clock.total
    stages = [
        {
            "stage": stage,
            "seconds": round(seconds, 2),
            "share": round(seconds / total, 4) if total else None,
            "photos_per_second": round(len(photos) / seconds, 2) if seconds else None,
            "photos_per_second_per_core": round(len(photos) / seconds / cores, 2)
            if seconds
            else None,
        }
        for stage, seconds in clock.seconds.items()
    ]
    size = sum(p.path.stat().st_size for p in photos)
    return {
        "photos": len(photos),
        "photo_bytes": size,
        "cores": cores,
        "total_seconds": round(total, 2),
        "photos_per_second": round(len(photos) / total, 2),
        "photos_per_second_per_core": round(len(photos) / total / cores, 2),
        "target_seconds_for_state": TARGET_SECONDS,
        "projected_state_seconds": round(total * STATE_UNITS / len(photos), 1),
        "stages": stages,
        "results": results,
        "read_profile": profile,
        "python": sys.version.split()[0],
    }


def _print(figures: dict[str, Any]) -> None:
    rows = [
        [
            s["stage"],
            f"{s['seconds']:.2f}",
            f"{s['share']:.1%}",
            f"{s['photos_per_second']:.1f}",
            f"{s['photos_per_second_per_core']:.1f}",
        ]
        for s in figures["stages"]
    ]
    rows.append(
        [
            "total",
            f"{figures['total_seconds']:.2f}",
            "100%",
            f"{figures['photos_per_second']:.1f}",
            f"{figures['photos_per_second_per_core']:.1f}",
        ]
    )
    title = (
        f"{figures['photos']} photos on {figures['cores']} cores "
        f"(whole state projected: {figures['projected_state_seconds']:.0f} s; target 60 s)"
    )
    print_table(title, ["stage", "seconds", "share", "photos/s", "photos/s/core"], rows)
    profile = figures["read_profile"]
    if profile:
        stage_rows = [[k, f"{v:.1%}"] for k, v in profile["stages_share"].items()]
        stage_rows += [[f"  {k}", f"{v:.1%}"] for k, v in profile["details_share"].items()]
        print_table(
            f"reading one photo, one core: {profile['seconds_per_photo'] * 1000:.0f} ms "
            f"({profile['photos']} photos profiled)",
            ["reader stage (cumulative)", "share"],
            stage_rows,
        )
        top = [
            [t["function"][:90], f"{t['own_share']:.1%}", str(t["calls"])]
            for t in profile["top_own_time"]
        ]
        print_table("where the time goes (own time)", ["function", "share", "calls"], top)
    print(json.dumps(figures["results"]))


if __name__ == "__main__":
    raise SystemExit(main())
