"""How strongly a field's image supports a given value, against every alternative.

The reader keeps, for every digit box, the probabilities of (blank, 0, ..., 9). A number
is written right-aligned: some blank boxes, then digits. So the probability of a value is
the sum over the ways to write it (with or without leading zeros; 0 also as all blank),
and the support is that probability.
Boxes are treated as independent, which is what the per-box classifier gives.

Each box's probabilities sum to at most 1; what is missing is the probability that the box
holds no clean digit at all, and it counts against every value.

The reconciler clears a reported value automatically only when its support is above a
threshold chosen on calibration photos (see the README's "Reading photos" benchmark), so a wrong
report needs the image to look *strongly* like the wrong number to slip through.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from canvass.model import FieldReading

BLANK = 0  # index of "blank" in a box's probabilities; digit d is at index d + 1


@dataclass(frozen=True)
class Support:
    value: int
    probability: float  # P(field shows `value` | image), over well-formed writings
    best_alternative: int | None
    alternative_probability: float


def value_probability(boxes: Sequence[Sequence[float]], value: int) -> float:
    """Unnormalised probability that the boxes show `value` (right-aligned)."""
    n = len(boxes)
    digits = str(value)
    if value < 0 or len(digits) > n:
        return 0.0
    total = 0.0
    for width in range(len(digits), n + 1):  # digits written in the last `width` boxes
        written = digits.zfill(width)
        p = math.prod(boxes[i][BLANK] for i in range(n - width))
        p *= math.prod(boxes[n - width + j][int(ch) + 1] for j, ch in enumerate(written))
        total += p
    if value == 0:
        total += math.prod(box[BLANK] for box in boxes)
    return total


def value_distribution(boxes: Sequence[Sequence[float]]) -> NDArray[np.float64]:
    """P(the boxes show v) for every v in 0 .. 10**len(boxes) - 1, at once.

    The same sum over right-aligned writings as `value_probability`, vectorised: the digits
    of the last `width` boxes, zero-padded, spell every value below 10**width, so their
    outer product laid flat is indexed by value. What the array does not hold (its sum is
    below 1) is the mass of no well-formed number at all.
    """
    n = len(boxes)
    probs = np.asarray(boxes, np.float64).reshape(n, -1)
    out = np.zeros(10**n)
    out[0] = float(np.prod(probs[:, BLANK]))
    for width in range(1, n + 1):
        lead = float(np.prod(probs[: n - width, BLANK]))
        spelled = np.ones(1)
        for row in probs[n - width :]:
            spelled = np.outer(spelled, row[BLANK + 1 : BLANK + 11]).ravel()
        out[: 10**width] += lead * spelled
    return out


def well_formed_mass(boxes: Sequence[Sequence[float]]) -> float:
    """Probability of any well-formed writing: blanks, then digits, nothing after a digit
    left blank. Dynamic programme over boxes, state = "still in the leading blanks"."""
    in_blanks, in_digits = 1.0, 0.0
    for box in boxes:
        digit_mass = sum(box[1:])
        in_blanks, in_digits = (
            in_blanks * box[BLANK],
            (in_blanks + in_digits) * digit_mass,
        )
    return in_blanks + in_digits


def support_for(field: FieldReading, value: int) -> Support:
    """The support for `value`, and the likeliest other value.

    Each box's probabilities may sum to less than 1: the rest is "not one clean digit"
    (crossed out, two digits, a scribble), and it counts against every value, as do
    writings that are no number at all (a gap between digits).
    """
    boxes = field.boxes
    if not boxes:
        return Support(value, 0.0, None, 0.0)
    best, best_p = _likeliest_other(boxes, value)
    return Support(value, value_probability(boxes, value), best, best_p)


def likeliest_value(boxes: Sequence[Sequence[float]]) -> tuple[int, float]:
    """The most probable value the boxes show, and its support (0..1)."""
    value, _ = _likeliest_other(boxes, -1)
    best = 0 if value is None else value
    return best, value_probability(boxes, best)


def _likeliest_other(boxes: Sequence[Sequence[float]], value: int) -> tuple[int | None, float]:
    """The most probable value other than `value`: the top two digits per box explored
    greedily are enough, since any other value is dominated by one of these."""
    options = [sorted(range(11), key=lambda k: -box[k])[:3] for box in boxes]
    candidates: set[int] = set()
    _expand(options, 0, "", False, candidates)
    scored = [(value_probability(boxes, v), v) for v in candidates if v != value]
    if not scored:
        return None, 0.0
    p, v = max(scored)
    return v, p


def _expand(options: list[list[int]], i: int, text: str, started: bool, out: set[int]) -> None:
    if i == len(options):
        out.add(int(text) if text else 0)
        return
    for k in options[i]:
        if k == BLANK and started:
            continue
        _expand(
            options, i + 1, text + ("" if k == BLANK else str(k - 1)), started or k != BLANK, out
        )
