"""Upload surge: every precinct uploads its photo within one minute, against `canvass serve`.

    python -m bench.surge [--clients 1765 --idle 2000 --window 60] [--out bench-out]

Prepares a fresh data directory (Iowa 2020, one uploader account and API token per client),
starts `canvass serve` on a free loopback port, opens `--idle` idle or slow connections,
then has each client upload one distinct 3-5 MB worksheet photo at a uniformly random
moment of the window, while abusive clients (one token with `--crowd` connections, a 200 MB
body, a slow sender) do their worst. Measures the time to acknowledgement (202), errors by
kind, lost photos (acknowledged but not stored, or stored with other bytes), how the idle
and abusive clients were treated, how long reading takes to catch up, and the server's CPU.
Ends with `canvass doctor`. Prints tables; writes `<out>/surge.json`.

Targets: zero errors, zero lost photos, 99th-percentile acknowledgement under 2 s.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from bench.common import one_thread_per_process, percentile, write_json
from bench.surge_report import print_surge

TARGET_P99_SECONDS = 2.0


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    one_thread_per_process()
    from bench.surge_clients import Plan, Upload, run_clients
    from bench.surge_setup import (
        CpuWatch,
        free_port,
        peak_rss_mb,
        prepare_data,
        start_server,
        stop_server,
        surge_photos,
    )
    from bench.surge_verify import catch_up, lost_photos, run_doctor
    from canvass.settings import REPO_ROOT, Settings

    nofile = _raise_own_nofile()
    out = Path(args.out)
    photos = surge_photos(Path(args.photos), args.clients, args.seed)
    data_dir = out / "surge-data"
    shutil.rmtree(data_dir, ignore_errors=True)
    settings = Settings(data_dir=data_dir, database_url=args.database_url)
    uploaders = [f"up-{i:05d}" for i in range(len(photos))]
    idlers = [f"idle-{i:05d}" for i in range(args.idle)]
    abusers = {"crowd": "abuse-crowd", "huge": "abuse-huge", "slow": "abuse-slow"}
    tokens = prepare_data(settings, uploaders + idlers + list(abusers.values()))
    rng = random.Random(args.seed)
    plan = Plan(
        port=free_port(),
        window=args.window,
        uploads=[
            Upload(
                i, p.path, p.precinct, p.sha256, tokens[uploaders[i]], rng.uniform(0, args.window)
            )
            for i, p in enumerate(photos)
        ],
        idle_tokens=[tokens[n] for n in idlers],
        abuse_tokens={k: tokens[v] for k, v in abusers.items()},
        abuse_photo=(REPO_ROOT / "fixtures/photos/small/photo-00000.jpg").read_bytes(),
        crowd=args.crowd,
    )
    log_path = out / "surge-server.log"
    with log_path.open("wb") as log:
        server = start_server(settings, plan.port, log, overrides=_overrides(args))
        watch = CpuWatch(server.pid)
        watch.start()
        client_cpu = resource.getrusage(resource.RUSAGE_SELF)
        outcomes = run_clients(plan)
        client_after = resource.getrusage(resource.RUSAGE_SELF)
        acked = {u.sha256 for u in outcomes.uploads if u.acknowledged}
        catch = catch_up(settings, acked, outcomes.window_ended, args.catchup_limit)
        rss = peak_rss_mb(server.pid)
        watch.stop()
        exit_code = stop_server(server)
    lost = lost_photos(settings, acked)
    doctor = run_doctor(settings)
    figures = _figures(args, photos, outcomes, catch, lost, doctor, watch, nofile)
    figures["client_cpu_seconds"] = round(
        (client_after.ru_utime - client_cpu.ru_utime)
        + (client_after.ru_stime - client_cpu.ru_stime),
        1,
    )
    figures["server"] = {
        "exit_code": exit_code,
        "peak_rss_mb": rss,
        "log": str(log_path),
        "python": sys.version.split()[0],
    }
    print_surge(figures)
    write_json(out / "surge.json", figures)
    return 0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.surge", description=__doc__)
    parser.add_argument("--clients", type=int, default=1765, help="uploading precincts")
    parser.add_argument("--idle", type=int, default=2000, help="idle or slow connections")
    parser.add_argument("--window", type=float, default=60.0, help="seconds the uploads span")
    parser.add_argument("--crowd", type=int, default=200, help="one abusive token's connections")
    parser.add_argument("--photos", default="bench-out/photos", help="photo cache folder")
    parser.add_argument("--out", default="bench-out", help="where surge.json goes")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--catchup-limit", type=float, default=1800.0, help="longest wait for reading (s)"
    )
    parser.add_argument(
        "--database-url", default=None, help="an empty PostgreSQL database instead of SQLite"
    )
    parser.add_argument(
        "--server-setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a Settings field for the server, e.g. requests_per_client=4 (repeatable)",
    )
    return parser.parse_args(argv)


def _overrides(args: argparse.Namespace) -> dict[str, str]:
    """`--server-setting name=value` as the server's CANVASS_NAME environment variables."""
    env = {}
    for item in args.server_setting:
        name, _, value = item.partition("=")
        env["CANVASS_" + name.strip().upper()] = value.strip()
    return env


def _raise_own_nofile() -> int:
    from canvass.web.limits import raise_nofile_limit

    return raise_nofile_limit()


def _figures(
    args: argparse.Namespace,
    photos: list[Any],
    outcomes: Any,
    catch: dict[str, Any],
    lost: dict[str, Any],
    doctor: dict[str, Any],
    watch: Any,
    nofile: int,
) -> dict[str, Any]:
    uploads = outcomes.uploads
    latencies = [u.latency for u in uploads if u.acknowledged and u.latency is not None]
    errors = Counter(_error_of(u) for u in uploads if not u.acknowledged)
    window_cpu = watch.cpu_between(outcomes.window_started, outcomes.uploads_done)
    span = max(1e-9, outcomes.uploads_done - outcomes.window_started)
    sizes = [p.path.stat().st_size for p in photos]
    return {
        "clients": len(uploads),
        "idle_connections": args.idle,
        "window_seconds": args.window,
        "photo_mb": {"min": min(sizes) / 1e6, "max": max(sizes) / 1e6, "total": sum(sizes) / 1e6},
        "acknowledged": len(latencies),
        "answers": dict(Counter(u.answer for u in uploads if u.acknowledged)),
        "errors": dict(errors),
        "ack_seconds": {
            "p50": percentile(latencies, 0.50),
            "p95": percentile(latencies, 0.95),
            "p99": percentile(latencies, 0.99),
            "max": max(latencies) if latencies else None,
        },
        "target_p99_seconds": TARGET_P99_SECONDS,
        "lost": lost,
        "idle": {k: dict(v) for k, v in outcomes.idle.items()},
        "idle_seconds_to_end": {
            k: {"median": percentile(v, 0.5), "max": max(v) if v else None}
            for k, v in outcomes.idle_seconds.items()
        },
        "idle_open_seconds": round(outcomes.idle_opened_seconds, 2),
        "abuse": outcomes.abuse,
        "ack_seconds_during_abuse": _during_abuse(outcomes),
        "uploads_done_after_window_seconds": round(
            outcomes.uploads_done - outcomes.window_ended, 2
        ),
        "catch_up": catch,
        "server_cpu": {
            "seconds_during_uploads": round(window_cpu, 1),
            "cores_busy_during_uploads": round(window_cpu / span, 2),
            "seconds_total": round(watch.samples[-1][1], 1) if watch.samples else None,
        },
        "doctor": doctor,
        "client_nofile_limit": nofile,
    }


def _during_abuse(outcomes: Any) -> dict[str, Any]:
    """Acknowledgement times of the uploads that started while the abusive clients were at
    work, beside those of the others: the abuse must not slow the honest clients."""
    start, end = outcomes.abuse_started, outcomes.abuse_ended
    during: list[float] = []
    other: list[float] = []
    for u in outcomes.uploads:
        if u.acknowledged and u.latency is not None:
            (during if start <= u.started <= end else other).append(u.latency)
    return {
        "abuse_seconds": round(end - start, 1),
        "uploads_during": len(during),
        "p50_during": percentile(during, 0.5),
        "p99_during": percentile(during, 0.99),
        "p50_other": percentile(other, 0.5),
        "p99_other": percentile(other, 0.99),
    }


def _error_of(upload: Any) -> str:
    if upload.error:
        return str(upload.error)
    if upload.status is None:
        return "not sent"
    if upload.status == 202:
        return "202 with another sha256"
    return f"{upload.status} {upload.answer or ''}".strip()[:120]


if __name__ == "__main__":
    raise SystemExit(main())
