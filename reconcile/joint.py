"""How strongly the whole sheet supports a value: each field's image, and the sheet's sums.

A reviewer who cannot make out one smudged count checks it against the others: the first
alignment adds up to the attendees, a ballot line's total is its election-day plus its
absentee votes, the totals row adds up its column. This module does the same with
probabilities, so a field whose image alone is not quite sure can be confirmed by the rest
of the sheet, and a value that breaks the sheet's sums needs the image to say it much
more clearly. The sums come from the form (`canvass.forms.spec.Identity`); a rule that ties
a written number to another (the caucus threshold to the attendees) comes from the rule
set as a `Relation`.

The model: every field's image gives a distribution over its values (`ocr.verify`) plus
the mass of no well-formed number; the fields are independent given the images, except
that a sheet on which an identity holds is `odds` times likelier than one on which it
fails. Identities can fail (the sheet is the legal record and its arithmetic may be
wrong; those are findings), so `odds` is finite. The supports are the exact marginals of
that joint distribution, computed by belief propagation with convolutions over the
values. Exactness needs the identities to form a tree; an identity that would close a
loop (the election-day column's total, once every line's total and the total column's
total are in) is left out of the support and only raises its finding. A field outside
every identity keeps its image's support.

Only the paper's own numbers are used, never a report: a report is checked against this
support, not used to make it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from canvass.forms.spec import Identity
from canvass.model import FieldReading
from ocr.verify import value_distribution

Vector = NDArray[np.float64]
SIGNIFICANT = 1e-15
"""Total values below this probability are left out of the sums (they cannot matter at
any clearing threshold, and leaving them out keeps the convolutions short)."""


@dataclass(frozen=True)
class SheetOdds:
    """How much likelier a sheet satisfying an identity (or a rule's relation) is than one
    breaking it.

    A modelling choice, not a fit: odds = (1 - e) / (e q), with e the share of sheets whose
    arithmetic fails (about 1 in 100 assumed; 2020's certified sheets break the delegate
    total on 15 of 1,765) and q the chance that a misreading happens to satisfy the
    identity anyway (about 1 in 10 for the near misses that matter). High enough that a
    sure sum confirms a nearly sure field; low enough that a paper whose arithmetic is
    wrong keeps its own reading (a value the image gives 1 in 1,000 cannot win on the sum
    alone). `by_code` overrides it for one identity or relation code; `python -m
    bench.read` prints the figures at other odds.
    """

    default: float = 1000.0
    by_code: tuple[tuple[str, float], ...] = ()

    def of(self, code: str) -> float:
        return dict(self.by_code).get(code, self.default)


DEFAULT_ODDS = SheetOdds()


@dataclass(frozen=True)
class Relation:
    """A rule tying a written field to another: the sheet is likelier when `shown` is one
    of `accepted(value of given)` (the caucus threshold the rules accept for the
    attendees). `accepted` returns an empty set where the rule accepts nothing."""

    given: str
    shown: str
    code: str
    accepted: Callable[[int], frozenset[int]]


@dataclass(frozen=True)
class SheetModel:
    """The identities and relations of one precinct's sheet, strongest first."""

    identities: tuple[Identity, ...] = ()
    relations: tuple[Relation, ...] = field(default=())


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
    model: SheetModel,
    odds: SheetOdds = DEFAULT_ODDS,
    known: Mapping[str, int] | None = None,
) -> SheetSupport:
    """Every field's support given the images and the sheet's identities and relations.

    `known`: values a person has read off this paper (review decisions); they are certain,
    so keying one smudged count can confirm the rest of its column."""
    image = {k: _with_none(value_distribution(f.boxes)) for k, f in fields.items() if f.boxes}
    for key, value in (known or {}).items():
        if value >= 0:
            image[key] = _certain(value, len(fields[key].boxes) if key in fields else 0)
    factors = _tree(model, image, odds)
    beliefs = _propagate(factors, image)
    return SheetSupport({k: v[:-1] / v.sum() for k, v in beliefs.items()})


def _with_none(values: Vector) -> Vector:
    """The distribution with "no well-formed number" as one more state, last."""
    return np.append(values, max(0.0, 1.0 - float(values.sum())))


def _certain(value: int, boxes: int) -> Vector:
    """The distribution of a value known for sure, as long as the field's own."""
    out = np.zeros(10 ** max(boxes, len(str(value))) + 1)
    out[value] = 1.0
    return out


Messages = Callable[[Sequence[Vector]], list[Vector]]


@dataclass(frozen=True)
class _Factor:
    variables: tuple[str, ...]
    messages: Messages


def _tree(model: SheetModel, image: Mapping[str, Vector], odds: SheetOdds) -> list[_Factor]:
    """The factors that keep the sheet's graph a tree, in the model's order; one whose
    fields are not all read, or that would close a loop, is left out."""
    parent: dict[str, str] = {}

    def root(v: str) -> str:
        while parent.setdefault(v, v) != v:
            v = parent[v]
        return v

    chosen: list[_Factor] = []
    candidates: list[_Factor] = [
        _Factor(
            (*i.parts, *((i.total,) if i.total else ())),
            _sum_messages(i.constant, i.total is None, odds.of(i.code)),
        )
        for i in model.identities
        if (i.total is not None or i.constant) and not i.at_most
    ]
    candidates += [
        _Factor((r.given, r.shown), _relation_messages(r.accepted, odds.of(r.code)))
        for r in model.relations
    ]
    for factor in candidates:
        if not all(v in image for v in factor.variables):
            continue
        roots = [root(v) for v in factor.variables]
        if len(set(roots)) < len(roots):
            continue
        for r in roots[1:]:
            parent[r] = roots[0]
        chosen.append(factor)
    return chosen


def _propagate(factors: Sequence[_Factor], image: Mapping[str, Vector]) -> dict[str, Vector]:
    """Belief propagation on the tree until no message changes (exact on a tree)."""
    incoming: dict[str, dict[int, Vector]] = {v: {} for v in image}
    dirty = set(range(len(factors)))
    while dirty:
        updated: dict[tuple[int, str], Vector] = {}
        for i in sorted(dirty):
            f = factors[i]
            inputs = [_belief(image[v], incoming[v], without=i) for v in f.variables]
            for v, message in zip(f.variables, f.messages(inputs), strict=True):
                updated[(i, v)] = message / max(float(message.max()), 1e-300)
        dirty = set()
        for (i, v), message in updated.items():
            before = incoming[v].get(i)
            if before is None or not np.array_equal(before, message):
                incoming[v][i] = message
                dirty |= {j for j, f in enumerate(factors) if j != i and v in f.variables}
    return {v: _belief(image[v], incoming[v]) for v in image}


def _belief(image: Vector, messages: Mapping[int, Vector], without: int = -1) -> Vector:
    out = image.copy()
    for i, m in messages.items():
        if i != without:
            out *= m
    return out


def _sum_messages(constant: int | None, fixed: bool, odds: float) -> Messages:
    """Messages of the factor 1 + odds [every part a number, and their sum = the total]:
    the total is the last variable, or `constant` when `fixed`."""

    def messages(inputs: Sequence[Vector]) -> list[Vector]:
        if fixed:
            assert constant is not None
            total = np.zeros(constant + 2)
            total[constant] = 1.0
            return _sum_factor(inputs, total, odds)[:-1]
        return _sum_factor(inputs[:-1], inputs[-1], odds)

    return messages


def _sum_factor(parts: Sequence[Vector], total: Vector, odds: float) -> list[Vector]:
    """Messages to every part, then to the total (each with its "none" state last).

    To part j at x: prod_{i != j} |q_i| |q_y| + odds sum_v q_y(v) (conv_{i != j} q_i)(v - x);
    to the total at v: prod |q_i| + odds (conv q_i)(v); "none" gets the first term only.
    Totals below SIGNIFICANT are kept out of the sums, which bounds every convolution."""
    numbers = [p[:-1] for p in parts]
    masses = [float(p.sum()) for p in parts]
    y = total[:-1]
    keep = np.flatnonzero(y >= SIGNIFICANT)
    length = int(keep[-1]) + 1 if len(keep) else 1
    y_kept = np.where(y[:length] >= SIGNIFICANT, y[:length], 0.0)
    prefix, suffix = _running_sums(numbers, length)
    out = []
    for j, p in enumerate(parts):
        others = _convolve(prefix[j], suffix[j + 1], length)
        base = float(np.prod(masses[:j] + masses[j + 1 :])) * float(total.sum())
        message = np.full(len(p), base)
        head = min(length, len(p) - 1)
        message[:head] += odds * _correlate(y_kept, others, length)[:head]
        out.append(message)
    to_total = np.full(len(total), float(np.prod(masses)))
    to_total[:length] += odds * prefix[-1]
    out.append(to_total)
    return out


def _relation_messages(accepted: Callable[[int], frozenset[int]], odds: float) -> Messages:
    """Messages of the factor 1 + odds [shown is a number the rule accepts for given]."""

    def messages(inputs: Sequence[Vector]) -> list[Vector]:
        given, shown = inputs
        to_given = np.full(len(given), float(shown.sum()))
        to_shown = np.full(len(shown), float(given.sum()))
        for value in np.flatnonzero(given[:-1] >= SIGNIFICANT):
            ok = [v for v in accepted(int(value)) if v < len(shown) - 1]
            to_given[value] += odds * float(shown[ok].sum())
            to_shown[ok] += odds * float(given[value])
        return [to_given, to_shown]

    return messages


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
