"""The benchmark's arithmetic: bands chosen on calibration photos, figures on evaluation
photos, bands fitted on one population measured on another. Kept apart from the runner
(and from the printing, `bench.read_print`) so it can be tested on small samples."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from bench.read_results import REJECT_WORDS, FieldSample, PhotoResult
from bench.read_stats import upper_bound
from bench.read_wrong import Supporter, WrongTally, neighbours_of, tally_wrong, wrong_values
from canvass.elections.iowa2020 import build_iowa2020
from canvass.model import Election, FieldReading
from canvass.settings import BUILTIN_DATA
from ocr.assemble import Bands, assemble_field
from ocr.verify import value_probability
from reconcile.joint import SheetOdds, support_sheet
from reconcile.sheet_math import sheet_model

TARGET_SILENT = 1e-4
TARGET_WRONG = 1e-4
CLEAR_THRESHOLD = 0.999
ODDS_GRID = (10.0, 100.0, 1000.0, 10000.0, 100000.0)
THRESHOLD_GRID = (0.99, 0.999, 0.9999, 0.99999, 0.999999)


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
        "silent_error_bound": upper_bound(silent, len(fields)),
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
        return lambda key, value: value_probability(fields[key].boxes, value)
    sheet = support_sheet(fields, sheet_model(election or iowa(), photo.precinct or ""), odds)
    return sheet.support


def verification_figures(
    photos: Sequence[PhotoResult],
    threshold: float,
    odds: SheetOdds | None = None,
    election: Election | None = None,
) -> dict[str, Any]:
    """Of the true values, how many the paper verifies; of the wrong values a report could
    carry (`bench.read_wrong`: the classic kinds and Sirekap's), how many it wrongly
    verifies, each count with its 95% upper bound."""
    true_ok = total = nonblank = nonblank_ok = 0
    wrong = WrongTally()
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
        tally_wrong(photo.fields, support, threshold, wrong)
    return {
        "threshold": threshold,
        "odds": None if odds is None else odds.default,
        "true_values": total,
        "true_verified_rate": true_ok / (total or 1),
        "nonblank_verified_rate": nonblank_ok / (nonblank or 1),
        **wrong.figures(),
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


def threshold_grid(
    photos: Sequence[PhotoResult], election: Election | None = None
) -> list[dict[str, Any]]:
    """Verification with the sheet's sums at each clearing threshold on THRESHOLD_GRID (the
    supports computed once): what a higher bar costs in true values cleared and buys in
    wrong values refused, every kind of wrong value counted."""
    true_support: list[float] = []
    wrong_support: list[float] = []
    for photo in photos:
        if photo.status != "read" or photo.kind != "good":
            continue
        support = supporters(photo, SheetOdds(), election)
        beside = neighbours_of(photo.fields)
        for s in photo.fields:
            true_support.append(support(s.key, s.truth))
            wrong = wrong_values(s.truth, len(s.rows), beside[s.key])
            wrong_support.extend(support(s.key, v) for v in wrong)
    truths, wrongs = np.asarray(true_support), np.asarray(wrong_support)
    rows = []
    for threshold in THRESHOLD_GRID:
        verified = int((wrongs >= threshold).sum())
        rows.append(
            {
                "threshold": threshold,
                "true_verified_rate": float((truths >= threshold).mean()) if len(truths) else 0.0,
                "wrong_values": len(wrongs),
                "wrong_verified": verified,
                "wrong_verified_bound": upper_bound(verified, len(wrongs)),
            }
        )
    return rows


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
    built-in Iowa caucuses); `bands` by default chosen on `calibration`."""
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
        "thresholds": threshold_grid(evaluation, election),
        "rejection": rejection_figures(evaluation),
        "speed": timing,
        "tesseract_baseline": baseline,
    }
    return figures


def cross_calibration(
    populations: Mapping[str, tuple[Sequence[PhotoResult], Sequence[PhotoResult]]],
) -> list[dict[str, Any]]:
    """Bands fitted on each population's calibration photos (and on all of them together),
    measured on every population's evaluation photos: does confidence fitted on one set of
    writers hold its error rate on writers it never saw? `populations`: name ->
    (calibration, evaluation)."""
    fits = {name: cal for name, (cal, _) in populations.items()}
    if len(fits) > 1:
        fits = {**fits, "all": [p for cal in fits.values() for p in cal]}
    rows = []
    for fitted_on, calibration in fits.items():
        bands = choose_bands([s for p in calibration if p.status == "read" for s in p.fields])
        for measured_on, (_, evaluation) in populations.items():
            f = field_figures(evaluation, bands)
            rows.append(
                {
                    "fitted_on": fitted_on,
                    "measured_on": measured_on,
                    "bands": {"ok": bands.ok, "blank": bands.blank},
                    "fields": f["fields"],
                    "silent_errors": f["silent_errors"],
                    "silent_error_bound": f["silent_error_bound"],
                    "read_rate": f["read_rate"],
                    "nonblank_read_rate": f["nonblank_read_rate"],
                }
            )
    return rows
