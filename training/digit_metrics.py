"""Figures of merit of the digit model on rendered box crops, shared by training and bench.

Why one module: the threshold is chosen on the calibration split (`training.train_digits`) and
checked on the evaluation split (`bench.digits`); both must count the same way.

Counting, per crop rendered from a split (`training.augment.render`):
- a digit crop is *accepted* when its reading is accepted; it is a *silent error* when it
  is accepted as another digit or as blank;
- a not-a-single-digit crop (crossed out, two digits, scribble, across the edge) is a
  silent error when accepted as a digit; read as blank it is not (nothing is counted);
- a blank crop is a silent error when accepted as a digit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from canvass.handwriting import Split, load_digits
from ocr.digits import REJECT, BoxReading
from training.augment import BLANK, Rendered, render


@dataclass(frozen=True)
class RenderPlan:
    """How many crops to render from one split, and the seed."""

    split: Split
    seed: int
    variants: int
    negatives: int
    blanks: int


def render_split(digits_png: Path, plan: RenderPlan) -> Rendered:
    """Box crops of every sample of the split, as `training.augment.render` makes them."""
    samples = load_digits(digits_png, plan.split)
    return render(
        samples.images,
        samples.ids,
        samples.labels,
        plan.seed,
        plan.variants,
        plan.negatives,
        plan.blanks,
    )


def upper_bound(errors: int, trials: int) -> float:
    """A one-sided 95% upper bound on an error rate (exact for 0 errors: 1 - 0.05^(1/n);
    Wilson's score bound otherwise)."""
    if trials == 0:
        return 1.0
    if errors == 0:
        return float(1.0 - 0.05 ** (1.0 / trials))
    z, p = 1.645, errors / trials
    centre = p + z * z / (2 * trials)
    spread = z * np.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return float((centre + spread) / (1 + z * z / trials))


def measure(
    readings: Sequence[BoxReading], labels: NDArray[np.int64], kinds: Sequence[str]
) -> dict[str, Any]:
    """The figures for one set of readings of rendered crops (see the module docstring)."""
    labels = np.asarray(labels)
    digit = np.array([-1 if r.digit is None else r.digit for r in readings])
    blank = np.array([r.blank for r in readings])
    accepted = np.array([r.accepted for r in readings])
    is_digit, is_neg, is_blank = labels >= 0, labels == REJECT, labels == BLANK
    is_digit &= ~is_neg
    right = ~blank & (digit == labels)
    silent_digit = is_digit & accepted & ~right
    neg_accepted = is_neg & accepted & ~blank
    blank_as_digit = is_blank & accepted & ~blank
    n_digits, n_acc = int(is_digit.sum()), int((is_digit & accepted).sum())
    errors = int(silent_digit.sum())
    return {
        "digit_crops": n_digits,
        "accuracy": float(right[is_digit].mean()) if n_digits else 0.0,
        "read_as_blank": int((is_digit & blank).sum()),
        "accepted": n_acc,
        "accept_rate": n_acc / n_digits if n_digits else 0.0,
        "errors_among_accepted": errors,
        "error_rate_among_accepted": errors / n_acc if n_acc else 0.0,
        "error_rate_upper_95": upper_bound(errors, n_acc),
        "negative_crops": int(is_neg.sum()),
        "negatives_accepted": int(neg_accepted.sum()),
        "negative_accept_rate": float(neg_accepted[is_neg].mean()) if is_neg.any() else 0.0,
        "negatives_accepted_by_kind": {
            kind: sum(1 for i in np.nonzero(neg_accepted)[0] if kinds[int(i)] == kind)
            for kind in sorted({kinds[int(i)] for i in np.nonzero(is_neg)[0]})
        },
        "blank_crops": int(is_blank.sum()),
        "blanks_accepted_blank": int((is_blank & blank & accepted).sum()),
        "blanks_accepted_as_digit": int(blank_as_digit.sum()),
    }


def choose_threshold(
    confidence: NDArray[np.float64], wrong: NDArray[np.bool_], allowed: int
) -> float:
    """The lowest threshold that accepts at most `allowed` of the `wrong` readings (errors
    and not-a-digit boxes): just above the (allowed+1)-th most confident wrong one."""
    worst = np.sort(confidence[wrong])[::-1]
    if len(worst) <= allowed:
        return 0.0
    return float(np.nextafter(worst[allowed], np.inf))


def operating_points(
    confidence: NDArray[np.float64], wrong: NDArray[np.bool_], is_digit: NDArray[np.bool_]
) -> list[dict[str, float]]:
    """Accept rate of the digit crops at thresholds allowing 0, 1, 3, 10, 30 wrong readings."""
    points = []
    for allowed in (0, 1, 3, 10, 30):
        threshold = choose_threshold(confidence, wrong, allowed)
        take = confidence >= threshold
        points.append(
            {
                "allowed_wrong": allowed,
                "threshold": threshold,
                "accept_rate": float(take[is_digit].mean()) if is_digit.any() else 0.0,
                "wrong_accepted": int((take & wrong).sum()),
            }
        )
    return points
