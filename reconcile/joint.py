"""How strongly the whole sheet supports a value: each field's image, and the sheet's sums.

A reviewer who cannot make out one smudged count checks it against the others: the first
alignment adds up to the attendees, the viability threshold is the rule's for those
attendees, the county delegates add up to the delegates the precinct elects. This module
does the same with probabilities, so a field whose image alone is not quite sure can be
confirmed by the rest of the sheet, and a value that breaks the sheet's sums needs the
image to say it much more clearly.

The model: every field's image gives a distribution over its values (`ocr.verify`); the
fields are independent given the images, except that a sheet on which an identity holds
is `odds` times likelier than one on which it fails. Identities can fail (the worksheet
is the legal record and its arithmetic may be wrong; those are math findings), so `odds`
is finite, and the supports are exact marginals of that joint distribution, computed with
convolutions over the values. A field outside every identity keeps its image's support.

Only the paper's own numbers are used, never a report: a report is checked against this
support, not used to make it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from canvass.model import Election, FieldReading
from ocr.verify import value_distribution
from reconcile.caucus_math import precinct_info
from canvass.forms.rules import RuleSet, rule_set

Vector = NDArray[np.float64]
SIGNIFICANT = 1e-15
"""Attendee values below this probability are left out of the sums (they cannot matter at
any clearing threshold, and leaving them out keeps the convolutions short)."""


@dataclass(frozen=True)
class SheetOdds:
    """How much likelier a sheet satisfying each identity is than one breaking it.

    A modelling choice, not a fit: odds = (1 - e) / (e q), with e the share of sheets whose
    arithmetic fails (about 1 in 100 assumed; 2020's certified sheets break the delegate
    total on 15 of 1,765) and q the chance that a misreading happens to satisfy the
    identity anyway (about 1 in 10 for the near misses that matter). High enough that a
    sure sum confirms a nearly sure field; low enough that a paper whose arithmetic is
    wrong keeps its own reading (a value the image gives 1 in 1,000 cannot win on the sum
    alone). `python -m bench.read` prints the figures at other odds.
    """

    first_total: float = 1000.0
    threshold: float = 1000.0
    delegate_total: float = 1000.0


DEFAULT_ODDS = SheetOdds()


@dataclass(frozen=True)
class SheetFacts:
    """What the election says about the sheet's precinct: the delegates it elects (None for
    a satellite, whose delegates follow attendance) and the rules for its threshold."""

    candidates: tuple[str, ...]
    delegates: int | None
    rules: RuleSet


def facts_for(election: Election, precinct: str) -> SheetFacts:
    """The sheet facts of `precinct` in `election` (no delegates when it is unknown or a
    satellite: then the county delegates take part in no identity)."""
    info = precinct_info(election, precinct)
    delegates = None if info is None or info.satellite else info.delegates_to_elect
    return SheetFacts(election.candidates, delegates, rule_set(election.rule_set))


class SheetSupport:
    """Per field, the probability of each value given the whole sheet.

    `support(key, value)` is that probability; `marginal(key)` the whole vector (index =
    value). Fields the reading does not hold, or holds without box probabilities, have
    no support (0 for every value), and take no part in any identity.
    """

    def __init__(self, marginals: Mapping[str, Vector]) -> None:
        self._marginals = dict(marginals)

    def marginal(self, key: str) -> Vector | None:
        return self._marginals.get(key)

    def support(self, key: str, value: int) -> float:
        vector = self._marginals.get(key)
        if vector is None or value < 0 or value >= len(vector):
            return 0.0
        return float(vector[value])

    def best_other(self, key: str, value: int) -> tuple[int | None, float]:
        """The likeliest value other than `value`, and its probability."""
        vector = self._marginals.get(key)
        if vector is None or not len(vector):
            return None, 0.0
        masked = vector.copy()
        if 0 <= value < len(masked):
            masked[value] = -1.0
        best = int(np.argmax(masked))
        return (best, float(masked[best])) if masked[best] > 0 else (None, 0.0)


def support_sheet(
    fields: Mapping[str, FieldReading],
    facts: SheetFacts,
    odds: SheetOdds = DEFAULT_ODDS,
    known: Mapping[str, int] | None = None,
) -> SheetSupport:
    """Every field's support given the images and the sheet's identities.

    `known`: values a person has read off this paper (review decisions); they are certain,
    so keying one smudged count can confirm the rest of its column."""
    image = {k: value_distribution(f.boxes) for k, f in fields.items() if f.boxes}
    for key, value in (known or {}).items():
        if value >= 0:
            image[key] = _certain(value, len(fields[key].boxes) if key in fields else 0)
    marginals = dict(image)
    firsts = [f"first.{c}" for c in facts.candidates]
    if "attendees" in image and all(k in image for k in firsts):
        threshold = _threshold_factor(image, facts, odds)
        found = _sum_identity(
            [image[k] for k in firsts], image["attendees"], threshold, odds.first_total
        )
        marginals.update(zip(firsts, found.parts, strict=True))
        marginals["attendees"] = found.total
        if threshold is not None:
            marginals["viability_threshold"] = _threshold_marginal(
                image["viability_threshold"], facts, odds, found
            )
    delegates = [f"county_delegates.{c}" for c in facts.candidates]
    if facts.delegates and all(k in image for k in delegates):
        fixed = np.zeros(facts.delegates + 1)
        fixed[facts.delegates] = 1.0
        found = _sum_identity([image[k] for k in delegates], fixed, None, odds.delegate_total)
        marginals.update(zip(delegates, found.parts, strict=True))
    return SheetSupport(marginals)


def _certain(value: int, boxes: int) -> Vector:
    """The distribution of a value known for sure, as long as the field's own."""
    out = np.zeros(10 ** max(boxes, len(str(value))))
    out[value] = 1.0
    return out


@dataclass(frozen=True)
class _SumFound:
    """The marginals of one sum identity, and for a second identity on the total: the
    total's weight without that identity's factor (`total_weight`, unnormalised, over the
    values kept), the weight of every other total (`rest`) and the normaliser `z`."""

    parts: list[Vector]
    total: Vector
    total_weight: Vector
    rest: float
    z: float


def _sum_identity(
    parts: Sequence[Vector], total: Vector, factor: Vector | None, odds: float
) -> _SumFound:
    """Marginals of the parts X_i and the total Y under the weight
    prod p(X_i) p(Y) f(Y) (1 + odds [sum X = Y]), f being another identity's factor on Y
    (1 when None). Values of Y below SIGNIFICANT (and Y's mass of no number) are kept out
    of the sums, which bounds every convolution's length."""
    keep = np.flatnonzero(total >= SIGNIFICANT)
    length = int(keep[-1]) + 1 if len(keep) else 1
    y = np.where(total[:length] >= SIGNIFICANT, total[:length], 0.0)
    f = np.ones(len(total)) if factor is None else factor
    weight = y * f[:length]
    rest = 1.0 - float(y.sum())  # no sum holds with these totals; their f is taken as 1
    w_all = float(weight.sum()) + rest
    prefix, suffix = _running_sums([p[:length] for p in parts], length)
    everything = prefix[-1]
    z = w_all + odds * float(weight @ everything)
    out_parts = []
    for i, p in enumerate(parts):
        others = _convolve(prefix[i], suffix[i + 1], length)
        g = w_all + odds * _correlate(weight, others, length)
        marginal = p * w_all
        head = min(length, len(p))
        marginal[:head] = p[:head] * g[:head]
        out_parts.append(marginal / z)
    out_total = total.copy()
    out_total[:length] = weight * (1.0 + odds * everything) + (total[:length] - y)
    total_weight = y * (1.0 + odds * everything)
    return _SumFound(out_parts, out_total / z, total_weight, rest, z)


def _running_sums(parts: Sequence[Vector], length: int) -> tuple[list[Vector], list[Vector]]:
    """Distributions of X_1 + ... + X_i (prefix[i], prefix[0] = 0 surely) and of
    X_i+1 + ... + X_n (suffix[i]), truncated to values below `length`."""
    sure_zero = np.zeros(length)
    sure_zero[0] = 1.0
    prefix = [sure_zero]
    for p in parts:
        prefix.append(_convolve(prefix[-1], p, length))
    suffix = [sure_zero]
    for p in reversed(parts):
        suffix.append(_convolve(suffix[-1], p, length))
    suffix.reverse()
    return prefix, suffix


def _convolve(a: Vector, b: Vector, length: int) -> Vector:
    """(a * b)[:length], by FFT (exact to rounding; negatives from rounding clipped)."""
    n = 1 << max(1, (2 * length - 1).bit_length())
    out = np.fft.irfft(np.fft.rfft(a[:length], n) * np.fft.rfft(b[:length], n), n)[:length]
    return np.asarray(np.clip(out, 0.0, None), np.float64)


def _correlate(weight: Vector, others: Vector, length: int) -> Vector:
    """r[v] = sum_a weight[a] others[a - v] for v in [0, length)."""
    n = 1 << max(1, (2 * length - 1).bit_length())
    spectrum = np.fft.rfft(weight, n) * np.conj(np.fft.rfft(others, n))
    return np.asarray(np.clip(np.fft.irfft(spectrum, n)[:length], 0.0, None), np.float64)


def _accepted(facts: SheetFacts, attendees: int) -> frozenset[int]:
    if not facts.delegates or attendees <= 0:
        return frozenset()
    return facts.rules.viability(attendees, facts.delegates).accepted


def _threshold_factor(
    image: Mapping[str, Vector], facts: SheetFacts, odds: SheetOdds
) -> Vector | None:
    """f(a) = 1 + odds P(threshold field shows a threshold the rules accept for a)."""
    t = image.get("viability_threshold")
    if t is None or not facts.delegates:
        return None
    a = image["attendees"]
    factor = np.ones(len(a))
    for value in np.flatnonzero(a >= SIGNIFICANT):
        shown = sum(float(t[v]) for v in _accepted(facts, int(value)) if v < len(t))
        factor[value] += odds.threshold * shown
    return factor


def _threshold_marginal(
    shown: Vector, facts: SheetFacts, odds: SheetOdds, found: _SumFound
) -> Vector:
    """P(threshold = t | sheet): its image times, summed over the attendees, 1 + odds where t
    is a threshold the rules accept for them."""
    weight = found.total_weight
    boost = np.zeros(len(shown))
    for value in np.flatnonzero(weight > 0):
        for v in _accepted(facts, int(value)):
            if v < len(shown):
                boost[v] += weight[value]
    base = float(weight.sum()) + found.rest
    return np.asarray(shown * (base + odds.threshold * boost) / found.z, np.float64)
