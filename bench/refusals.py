"""Which reason the reader gives each photo that must be refused, by reject kind.

    python -m bench.refusals [--out bench-out/refusals] [--workers N]

Makes the reject photos of three sets with the product's own generator
(`canvass.synth.generate`, the same jobs `canvass synth photos` plans; each photo is a pure
function of its seed and index, so only the rejects are made, byte for byte the photos the
full set would hold) and reads each with the product's reader:

- `calibrate`: seed 101, `calibrate` handwriting, every photo a reject (60 of each kind):
  the photos `ocr.refusal`'s thresholds were set on;
- `bench.read`: seed 202, 520 photos at 10% rejects, `evaluate` handwriting: exactly the
  13 rejects of each kind that `python -m bench.read` measures;
- `check`: seed 303, every photo a reject (50 of each kind), `evaluate` handwriting.

Prints a table of reject kind x reason given per set and writes `refusals.json` with each
photo's reason and `ocr.refusal`'s measures of it (for setting thresholds). Good photos are
not here: the refusal explained here is given only when no corner marker is found at all,
and `bench.read` counts good photos refused.
"""

from __future__ import annotations

import argparse
import json
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from bench.common import one_thread_per_process, print_table

REASONS = ("corner_cut", "blurred", "glare", "not_a_worksheet", "other", "read")


@dataclass(frozen=True)
class RejectSet:
    """A planned set of photos (as `canvass synth photos` would plan it) and which to make."""

    name: str
    seed: int
    count: int
    rejects: float
    split: str


SETS = (
    RejectSet("calibrate", 101, 240, 1.0, "calibrate"),
    RejectSet("bench.read", 202, 520, 0.1, "evaluate"),
    RejectSet("check", 303, 200, 1.0, "evaluate"),
)


@dataclass(frozen=True)
class Refusal:
    photo: str
    kind: str
    variant: str | None
    reason_kind: str
    reason: str | None
    measures: dict[str, float]


def reason_kind(status: str, reason: str | None) -> str:
    """The reject kind a reader's reason names (its wording is `ocr.page`/`ocr.refusal`'s)."""
    if status == "read":
        return "read"
    text = (reason or "").lower()
    if "not a worksheet" in text:
        return "not_a_worksheet"
    if "blurred" in text:
        return "blurred"
    if "glare" in text:
        return "glare"
    if "not in the photo" in text:
        return "corner_cut"
    return "other"


def make_rejects(folder: Path, spec: RejectSet, workers: int) -> list[Path]:
    """The set's reject photos in `folder`, made once (a stamp records the set)."""
    from bench.read_support import election
    from canvass.settings import BUILTIN_DATA
    from canvass.synth.generate import SynthConfig, generate_set, plan_jobs
    from canvass.synth.sources import units_for

    stamp = folder / "bench-set.json"
    wanted = asdict(spec)
    if not (stamp.exists() and json.loads(stamp.read_text()) == wanted):
        built = election()
        jobs = plan_jobs(units_for(built, BUILTIN_DATA), spec.count, spec.seed, spec.rejects)
        jobs = [j for j in jobs if j.kind != "good"]
        config = SynthConfig(
            seed=spec.seed,
            split=spec.split,  # type: ignore[arg-type]
            digits_path=BUILTIN_DATA / "handwriting" / "digits.png",
        )
        generate_set(jobs, config, built, folder, workers)
        stamp.write_text(json.dumps(wanted))
    return sorted(folder.glob("photo-*.jpg"))


def refuse_one(photo: Path) -> Refusal:
    """Read one photo as the product does, and measure it as `ocr.refusal` does."""
    from bench.read_support import reader
    from ocr.page import decode_photo
    from ocr.refusal import measure

    truth = json.loads(photo.with_suffix(".json").read_text())
    data = photo.read_bytes()
    reading = reader()(data).reading
    measures = asdict(measure(decode_photo(data)))
    return Refusal(
        photo=photo.name,
        kind=truth["kind"],
        variant=truth["conditions"].get("variant"),
        reason_kind=reason_kind(reading.status, reading.reason),
        reason=reading.reason,
        measures=measures,
    )


def tabulate(refusals: list[Refusal]) -> dict[str, dict[str, int]]:
    """kind -> reason kind -> photos."""
    table: dict[str, dict[str, int]] = {}
    for r in refusals:
        row = table.setdefault(r.kind, dict.fromkeys(REASONS, 0))
        row[r.reason_kind] += 1
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.refusals", description=__doc__)
    parser.add_argument("--out", default="bench-out/refusals")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--sets", nargs="*", default=[s.name for s in SETS], help="which sets")
    args = parser.parse_args(argv)
    one_thread_per_process()
    out = Path(args.out)
    figures: dict[str, Any] = {}
    for spec in (s for s in SETS if s.name in args.sets):
        photos = make_rejects(out / spec.name.replace(".", "-"), spec, args.workers)
        context = get_context("spawn")
        with ProcessPoolExecutor(max_workers=args.workers, mp_context=context) as pool:
            refusals = list(pool.map(refuse_one, photos, chunksize=2))
        table = tabulate(refusals)
        rows = [
            [kind, str(sum(counts.values())), *(str(counts[r]) for r in REASONS)]
            for kind, counts in sorted(table.items())
        ]
        print_table(
            f"{spec.name}: seed {spec.seed}, {spec.split} handwriting — reason given, by kind",
            ["kind", "photos", *REASONS],
            rows,
        )
        figures[spec.name] = {
            "set": asdict(spec),
            "table": table,
            "photos": [asdict(r) for r in refusals],
        }
    out.mkdir(parents=True, exist_ok=True)
    (out / "refusals.json").write_text(json.dumps(figures, indent=1), encoding="utf-8")
    print(f"wrote {out / 'refusals.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
