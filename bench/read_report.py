"""The benchmark's arithmetic: bands chosen on calibration photos, figures on evaluation
photos, a printed table. Kept apart from the runner so it can be tested on small samples."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from bench.read_results import CONFUSED, REJECT_WORDS, FieldSample, PhotoResult
from canvass.elections.iowa2020 import build_iowa2020
from canvass.model import Election, FieldReading
from canvass.settings import BUILTIN_DATA
from ocr.assemble import Bands, assemble_field
from ocr.verify import support_for
from reconcile.joint import SheetOdds, support_sheet
from reconcile.sheet_math import sheet_model

TARGET_SILENT = 1e-4
TARGET_WRONG = 1e-4
CLEAR_THRESHOLD = 0.999
ODDS_GRID = (10.0, 100.0, 1000.0, 10000.0, 100000.0)
Supporter = Callable[[str, int], float]


def value_of(reading: FieldReading) -> int | None:
    return 0 if reading.status == "blank" else reading.value


def choose_bands(samples: Sequence[FieldSample]) -> Bands:
    """The lowest `ok` and `blank` thresholds with no silent error on the calibration
    fields (never below the defaults' floor of 0.99)."""
    base = Bands(ok=1.0, uncertain=0.5, blank=1.0)
    supports_ok: list[tuple[float, bool]] = []
    supports_blank: list[tuple[float, bool]] = []
    for s in samples:
        rows = np.asarray(s.rows, np.float64)
        all_blank = float(np.prod(rows[:, 0]))
        supports_blank.append((all_blank, s.truth == 0))
        reading = assemble_field(rows, Bands(ok=0.0, uncertain=0.0, blank=1.1))
        supports_ok.append((reading.confidence, reading.value == s.truth))
    ok = _lowest_clean(supports_ok)
    blank = _lowest_clean(supports_blank)
    return Bands(ok=max(ok, 0.99), uncertain=base.uncertain, blank=max(blank, 0.99))


def _lowest_clean(scored: list[tuple[float, bool]]) -> float:
    """Just above the highest score of a wrong answer: every answer at or above is right."""
    wrong = [score for score, right in scored if not right]
    return min(1.0, float(np.nextafter(max(wrong), 2.0))) if wrong else 0.0


def field_figures(photos: Sequence[PhotoResult], bands: Bands) -> dict[str, Any]:
    fields = [s for p in photos if p.status == "read" and p.kind == "good" for s in p.fields]
    counts = {"ok": 0, "blank": 0, "uncertain": 0, "unreadable": 0}
    silent = 0
    nonblank = nonblank_ok = 0
    written = written_right = written_silent = left_blank_right = 0
    by_digits: dict[int, list[int]] = {}
    for s in fields:
        reading = assemble_field(np.asarray(s.rows, np.float64), bands)
        counts[reading.status] += 1
        right = reading.status in ("ok", "blank") and value_of(reading) == s.truth
        if reading.status in ("ok", "blank") and value_of(reading) != s.truth:
            silent += 1
            written_silent += s.written
        written += s.written
        written_right += s.written and right
        left_blank_right += not s.written and right
        if s.written:
            tally = by_digits.setdefault(len(str(s.truth)), [0, 0])
            tally[0] += 1
            tally[1] += right
        if s.truth != 0:
            nonblank += 1
            nonblank_ok += reading.status == "ok" and reading.value == s.truth
    total = len(fields) or 1
    return {
        "fields": len(fields),
        "status_counts": counts,
        "silent_errors": silent,
        "silent_error_rate": silent / total,
        "read_rate": (counts["ok"] + counts["blank"]) / total,
        "accuracy": (counts["ok"] + counts["blank"] - silent) / total,
        "uncertain_rate": counts["uncertain"] / total,
        "unreadable_rate": counts["unreadable"] / total,
        "nonblank_fields": nonblank,
        "nonblank_read_rate": nonblank_ok / (nonblank or 1),
        "written_fields": written,
        "written_accuracy": written_right / (written or 1),
        "written_silent_errors": written_silent,
        "left_blank_fields": len(fields) - written,
        "written_by_digits": {
            str(n): {"fields": count, "accuracy": right / count}
            for n, (count, right) in sorted(by_digits.items())
        },
        "left_blank_accuracy": left_blank_right / ((len(fields) - written) or 1),
    }


def hard_alternatives(truth: int, boxes: int) -> list[int]:
    """Wrong values a report could carry: a digit turned into its usual confusion, two
    digits transposed, off by one, the leading digit dropped (each only if it fits the
    boxes)."""
    text = str(truth)
    out = {truth + 1, max(0, truth - 1)}
    if len(text) >= 2:
        out.add(int(text[1:]))
    for i, ch in enumerate(text):
        swapped = text[:i] + str(CONFUSED[int(ch)]) + text[i + 1 :]
        out.add(int(swapped))
    if len(text) >= 2:
        out.add(int(text[:-2] + text[-1] + text[-2]))
    return sorted(v for v in out if v != truth and len(str(v)) <= boxes)


@lru_cache(maxsize=1)
def iowa() -> Election:
    """The election the generated photos are drawn from (their precincts' delegates)."""
    return build_iowa2020(BUILTIN_DATA / "iowa2020")


def supporters(
    photo: PhotoResult, odds: SheetOdds | None, election: Election | None = None
) -> Supporter:
    """support(key, value) for one photo: each field's image alone (odds None) or the
    whole sheet's, with its sums (`reconcile.joint`; `election` the photos' own, by
    default the built-in Iowa caucuses)."""
    fields = {
        s.key: FieldReading(
            value=None, confidence=0.0, status="unreadable", boxes=tuple(tuple(r) for r in s.rows)
        )
        for s in photo.fields
    }
    if odds is None:
        return lambda key, value: support_for(fields[key], value).probability
    sheet = support_sheet(fields, sheet_model(election or iowa(), photo.precinct or ""), odds)
    return sheet.support


def verification_figures(
    photos: Sequence[PhotoResult],
    threshold: float,
    odds: SheetOdds | None = None,
    election: Election | None = None,
) -> dict[str, Any]:
    """Of the true values, how many the paper verifies; of the hard wrong values (what a
    report typed wrong could say), how many it wrongly verifies."""
    true_ok = wrong_total = wrong_ok = total = nonblank = nonblank_ok = 0
    for photo in photos:
        if photo.status != "read" or photo.kind != "good":
            continue
        support = supporters(photo, odds, election)
        for s in photo.fields:
            verified = support(s.key, s.truth) >= threshold
            total += 1
            true_ok += verified
            nonblank += s.truth != 0
            nonblank_ok += verified and s.truth != 0
            for wrong in hard_alternatives(s.truth, len(s.rows)):
                wrong_total += 1
                wrong_ok += support(s.key, wrong) >= threshold
    return {
        "threshold": threshold,
        "odds": None if odds is None else odds.default,
        "true_values": total,
        "true_verified_rate": true_ok / (total or 1),
        "nonblank_verified_rate": nonblank_ok / (nonblank or 1),
        "wrong_values": wrong_total,
        "wrong_verified": wrong_ok,
        "wrong_verified_rate": wrong_ok / (wrong_total or 1),
    }


def odds_sensitivity(
    calibration: Sequence[PhotoResult], election: Election | None = None
) -> list[dict[str, Any]]:
    """Verification on the calibration photos at each odds on the grid (how much the
    figures depend on the modelling choice in `SheetOdds`)."""
    return [
        verification_figures(calibration, CLEAR_THRESHOLD, SheetOdds(v), election)
        for v in ODDS_GRID
    ]


def rejection_figures(photos: Sequence[PhotoResult]) -> dict[str, Any]:
    by_kind: dict[str, dict[str, int]] = {}
    for p in photos:
        if p.kind == "good":
            continue
        row = by_kind.setdefault(p.kind, {"photos": 0, "rejected_right_reason": 0})
        row["photos"] += 1
        right = p.status == "rejected" and REJECT_WORDS[p.kind] in (p.reason or "")
        row["rejected_right_reason"] += right
    good = [p for p in photos if p.kind == "good"]
    good_rejected = [p.reason for p in good if p.status == "rejected"]
    return {
        "by_kind": by_kind,
        "good_photos": len(good),
        "good_rejected": len(good_rejected),
        "good_rejected_rate": len(good_rejected) / (len(good) or 1),
        "good_rejected_reasons": sorted(set(r or "" for r in good_rejected))[:5],
        "precinct_identified": sum(p.precinct_ok for p in good if p.status == "read"),
    }


def report(
    calibration: Sequence[PhotoResult],
    evaluation: Sequence[PhotoResult],
    timing: dict[str, float],
    baseline: dict[str, Any],
    election: Election | None = None,
    bands: Bands | None = None,
) -> dict[str, Any]:
    """Every figure of one form's photos (`election` the photos' own, by default the
    built-in Iowa caucuses), printed as a table; `bands` by default chosen on
    `calibration`."""
    election = election or iowa()
    bands = bands or choose_bands([s for p in calibration if p.status == "read" for s in p.fields])
    figures = {
        "election": election.id,
        "form": election.form,
        "bands": {"ok": bands.ok, "uncertain": bands.uncertain, "blank": bands.blank},
        "calibration_photos": len(calibration),
        "evaluation_photos": len(evaluation),
        "fields": field_figures(evaluation, bands),
        "verification": verification_figures(evaluation, CLEAR_THRESHOLD, None, election),
        "verification_sheet": verification_figures(
            evaluation, CLEAR_THRESHOLD, SheetOdds(), election
        ),
        "odds_on_calibration": odds_sensitivity(calibration, election),
        "rejection": rejection_figures(evaluation),
        "speed": timing,
        "tesseract_baseline": baseline,
    }
    print_table(figures)
    return figures


def print_table(f: dict[str, Any]) -> None:
    fields, ver, rej, speed = f["fields"], f["verification"], f["rejection"], f["speed"]
    title = f"Page reader on evaluation photos: {f.get('form', 'caucus-math-worksheet')}"
    table = Table("measure", "value", "target", title=title)
    table.add_row(
        "photos (calibration / evaluation)",
        f"{f['calibration_photos']} / {f['evaluation_photos']}",
        "",
    )
    table.add_row("fields measured", str(fields["fields"]), ">= 20,000")
    table.add_row(
        "silent errors (ok/blank but wrong)",
        f"{fields['silent_errors']} ({fields['silent_error_rate']:.5%})",
        "<= 0.01%",
    )
    table.add_row("read rate (ok or blank)", f"{fields['read_rate']:.2%}", ">= 98%")
    table.add_row("read rate, non-blank fields", f"{fields['nonblank_read_rate']:.2%}", ">= 90%")
    for name, v in (("image alone", ver), ("with the sheet's sums", f["verification_sheet"])):
        table.add_row(f"true values verified, {name}", f"{v['true_verified_rate']:.2%}", ">= 99.5%")
        table.add_row(f"  of them non-blank, {name}", f"{v['nonblank_verified_rate']:.2%}", "")
        table.add_row(
            f"hard wrong values verified, {name}",
            f"{v['wrong_verified']} of {v['wrong_values']}",
            "<= 0.01%",
        )
    for kind, row in rej["by_kind"].items():
        table.add_row(
            f"rejected with the right reason: {kind}",
            f"{row['rejected_right_reason']} of {row['photos']}",
            "all",
        )
    table.add_row(
        "good photos rejected", f"{rej['good_rejected']} of {rej['good_photos']}", "<= 1%"
    )
    table.add_row("median read, one core", f"{speed['median_read_s'] * 1000:.0f} ms", "")
    table.add_row("median full-resolution decode", f"{speed['median_decode_s'] * 1000:.0f} ms", "")
    table.add_row("read / decode", f"{speed['ratio']:.2f}x", "<= 2x")
    tb = f["tesseract_baseline"]
    table.add_row(
        "tesseract baseline (exact, ms/field)",
        f"{tb['exact']:.1%}, {tb['ms_per_field']:.0f} ms",
        "",
    )
    table.add_row(
        "bands chosen (ok / blank)", f"{f['bands']['ok']:.6f} / {f['bands']['blank']:.6f}", ""
    )
    table.add_row(
        "sheet odds (reconcile.joint.SheetOdds)", f"{f['verification_sheet']['odds']:g}", ""
    )
    Console().print(table)
    grid = Table(
        "odds",
        "true verified",
        "non-blank verified",
        "hard wrong verified",
        title="The sheet's sums at other odds (calibration photos)",
    )
    for row in f["odds_on_calibration"]:
        grid.add_row(
            f"{row['odds']:g}",
            f"{row['true_verified_rate']:.2%}",
            f"{row['nonblank_verified_rate']:.2%}",
            f"{row['wrong_verified']} of {row['wrong_values']}",
        )
    Console().print(grid)


def print_comparison(runs: Sequence[dict[str, Any]]) -> None:
    """The headline figures of each form's run side by side (the same photo counts)."""
    title = "The forms side by side (one set of bands, chosen on every form's calibration photos)"
    table = Table("measure", *(f["form"] for f in runs), title=title)
    rows: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
        (
            "photos (calibration / evaluation)",
            lambda f: f"{f['calibration_photos']} / {f['evaluation_photos']}",
        ),
        ("fields measured (good photos)", lambda f: f"{f['fields']['fields']:,}"),
        ("non-blank fields", lambda f: f"{f['fields']['nonblank_fields']:,}"),
        ("field accuracy (ok/blank and right)", lambda f: f"{f['fields']['accuracy']:.2%}"),
        ("read rate, non-blank fields", lambda f: f"{f['fields']['nonblank_read_rate']:.2%}"),
        (
            "fields with writing (a 0 written counts)",
            lambda f: f"{f['fields']['written_fields']:,}",
        ),
        (
            "  their accuracy (ok and right)",
            lambda f: f"{f['fields']['written_accuracy']:.2%}",
        ),
        (
            "  their wrong numbers passed",
            lambda f: str(f["fields"]["written_silent_errors"]),
        ),
        (
            "fields left blank (zeros): accuracy",
            lambda f: (
                f"{f['fields']['left_blank_accuracy']:.2%}"
                if f["fields"]["left_blank_fields"]
                else "none left blank"
            ),
        ),
        *(
            (f"  written numbers of {n} digit{'s' if n > 1 else ''}: accuracy", _by_digits(n))
            for n in (1, 2, 3, 4)
        ),
        (
            "wrong numbers passed (ok/blank but wrong)",
            lambda f: f"{f['fields']['silent_errors']} ({f['fields']['silent_error_rate']:.4%})",
        ),
        ("unreadable share", lambda f: f"{f['fields']['unreadable_rate']:.2%}"),
        ("uncertain share", lambda f: f"{f['fields']['uncertain_rate']:.2%}"),
        (
            "true values verified, with the sums",
            lambda f: f"{f['verification_sheet']['true_verified_rate']:.2%}",
        ),
        (
            "hard wrong values verified, with the sums",
            lambda f: (
                f"{f['verification_sheet']['wrong_verified']} of "
                f"{f['verification_sheet']['wrong_values']:,}"
            ),
        ),
        (
            "good photos refused",
            lambda f: f"{f['rejection']['good_rejected']} of {f['rejection']['good_photos']}",
        ),
        ("median read, one core", lambda f: f"{f['speed']['median_read_s'] * 1000:.0f} ms"),
    ]
    for name, shown in rows:
        table.add_row(name, *(shown(f) for f in runs))
    Console().print(table)


def _by_digits(n: int) -> Callable[[dict[str, Any]], str]:
    """The accuracy on written numbers of `n` digits, and how many there were."""

    def shown(f: dict[str, Any]) -> str:
        row = f["fields"]["written_by_digits"].get(str(n))
        return f"{row['accuracy']:.2%} of {row['fields']:,}" if row else "none"

    return shown
