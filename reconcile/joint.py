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
values (each distribution's significant values: `reconcile.joint_sums`). Exactness needs
the identities to form a tree; an identity that would close a loop (the election-day
column's total, once every line's total and the total column's total are in) is left out
of the support and only raises its finding. A field outside every identity keeps its
image's support.

Only the paper's own numbers are used, never a report: a report is checked against this
support, not used to make it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from canvass.forms.spec import Identity
from canvass.model import FieldReading
from ocr.verify import value_distribution
from reconcile.joint_sums import Values, add, backward, forward, lag, significant

Vector = NDArray[np.float64]
SIGNIFICANT = 1e-15
"""Total values below this probability are left out of the sums (they cannot matter at
any clearing threshold, and leaving them out keeps the convolutions short)."""
PRUNED = 1e-15
"""The most, relative to itself, that leaving the negligible values out of a sum factor's
sums may move one of its messages (`_sum_factor` gives the bound); well below the
rounding of the FFT the sums took before (about 1e-16 of a vector's largest value, times
the odds)."""


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
    incoming = _propagate(factors, image)
    beliefs = {v: _belief(image[v], incoming[v]) for v in image}
    return SheetSupport({k: v[:-1] / v.sum() for k, v in beliefs.items()})


def _with_none(values: Vector) -> Vector:
    """The distribution with "no well-formed number" as one more state, last."""
    return np.append(values, max(0.0, 1.0 - float(values.sum())))


def _certain(value: int, boxes: int) -> Vector:
    """The distribution of a value known for sure, as long as the field's own."""
    out = np.zeros(10 ** max(boxes, len(str(value))) + 1)
    out[value] = 1.0
    return out


Messages = Callable[[Sequence[Vector], Sequence[int]], list[Vector]]
"""A factor's messages to the variables at the `wanted` places, given every variable's
input (its belief without this factor)."""


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


Incoming = dict[str, dict[int, Vector]]
"""Per field, the messages it has from each factor (by the factor's place)."""


def _propagate(factors: Sequence[_Factor], image: Mapping[str, Vector]) -> Incoming:
    """Belief propagation on the tree (exact on a tree), each message computed once where
    it can be.

    First the messages to the fields two factors share, which are the other factors'
    inputs: up from the leaves (each factor to the field it shares with the factor nearer
    its tree's root), then down. A factor's message to a field can depend on that field's
    own input where the factor leaves out its values below SIGNIFICANT (the total's, the
    given's), and that input is complete only after the way down: so the messages up are
    sent again, and one that changes starts the round-by-round propagation over, until no
    message changes (the fixed point the supports always came from). Then, once, the
    messages to the fields only one factor holds (most of them, and the costly ones: a
    column's every count), which nothing else reads."""
    incoming: Incoming = {v: {} for v in image}
    touching: dict[str, list[int]] = {}
    for i, f in enumerate(factors):
        for v in f.variables:
            touching.setdefault(v, []).append(i)
    shared = {v for v, holders in touching.items() if len(holders) > 1}

    def send(i: int, targets: Sequence[str]) -> list[tuple[int, str]]:
        return [(i, v) for v in _send(factors[i], i, tuple(targets), image, incoming)]

    order = _schedule(factors, touching)
    for i, parent in reversed(order):
        send(i, [parent] if parent else [])
    for i, parent in order:
        send(i, [v for v in factors[i].variables if v != parent and v in shared])
    changed = [c for i, parent in order for c in send(i, [parent] if parent else [])]
    while changed:
        dirty = sorted({j for i, v in changed for j in touching[v] if j != i})
        changed = [
            c for j in dirty for c in send(j, [v for v in factors[j].variables if v in shared])
        ]
    for i, f in enumerate(factors):
        send(i, [v for v in f.variables if v not in shared])
    return incoming


def _schedule(
    factors: Sequence[_Factor], touching: Mapping[str, Sequence[int]]
) -> list[tuple[int, str | None]]:
    """Every factor once, after the one nearer the root of its tree, with the field it
    shares with that one (None for a root, each tree's largest factor)."""
    order: list[tuple[int, str | None]] = []
    seen: set[int] = set()
    for root in sorted(range(len(factors)), key=lambda i: -len(factors[i].variables)):
        if root in seen:
            continue
        seen.add(root)
        stack: list[tuple[int, str | None]] = [(root, None)]
        while stack:
            i, parent = stack.pop()
            order.append((i, parent))
            for v in factors[i].variables:
                for j in touching[v] if v != parent else ():
                    if j not in seen:
                        seen.add(j)
                        stack.append((j, v))
    return order


def _send(
    factor: _Factor,
    i: int,
    targets: tuple[str, ...],
    image: Mapping[str, Vector],
    incoming: Incoming,
) -> list[str]:
    """Factor i's messages to `targets`, each scaled to a largest value of 1; returns the
    targets whose message changed."""
    if not targets:
        return []
    inputs = [_belief(image[v], incoming[v], without=i) for v in factor.variables]
    wanted = [factor.variables.index(v) for v in targets]
    changed = []
    for v, message in zip(targets, factor.messages(inputs, wanted), strict=True):
        scaled = message / max(float(message.max()), 1e-300)
        before = incoming[v].get(i)
        if before is None or not np.array_equal(before, scaled):
            incoming[v][i] = scaled
            changed.append(v)
    return changed


def _belief(image: Vector, messages: Mapping[int, Vector], without: int = -1) -> Vector:
    out = image.copy()
    for i, m in messages.items():
        if i != without:
            out *= m
    return out


def _sum_messages(constant: int | None, fixed: bool, odds: float) -> Messages:
    """Messages of the factor 1 + odds [every part a number, and their sum = the total]:
    the total is the last variable, or `constant` when `fixed`.

    The parts' running sums are kept for the next call: a factor is asked again when only
    its total's input has changed (`_propagate`), and then they are the same."""
    kept: list[tuple[list[Values], int, list[Values]]] = []

    def running(numbers: list[Values], length: int, share: float) -> list[Values]:
        if kept and kept[0][1] == length and _same(kept[0][0], numbers):
            return kept[0][2]
        sums = forward(numbers, length, share)
        kept[:] = [(numbers, length, sums)]
        return sums

    def messages(inputs: Sequence[Vector], wanted: Sequence[int]) -> list[Vector]:
        if fixed:
            assert constant is not None
            total = np.zeros(constant + 2)
            total[constant] = 1.0
            return _sum_factor(inputs, total, odds, wanted, running)
        return _sum_factor(inputs[:-1], inputs[-1], odds, wanted, running)

    return messages


def _same(a: Sequence[Values], b: Sequence[Values]) -> bool:
    return len(a) == len(b) and all(
        np.array_equal(x.at, y.at) and np.array_equal(x.p, y.p) for x, y in zip(a, b, strict=True)
    )


def _sum_factor(
    parts: Sequence[Vector],
    total: Vector,
    odds: float,
    wanted: Sequence[int],
    running: Callable[[list[Values], int, float], list[Values]] = forward,
) -> list[Vector]:
    """Messages to the parts at the `wanted` places (n: the total), each with its "none"
    state last.

    To part j at x: prod_{i != j} |q_i| |q_y| + odds sum_v q_y(v) (conv_{i != j} q_i)(v - x);
    to the total at v: prod |q_i| + odds (conv q_i)(v); "none" gets the first term only.
    Totals below SIGNIFICANT are kept out of the sums, which bounds every convolution.

    The sum over v is taken forward and backward along the parts (`joint_sums.forward`,
    `backward`), over each vector's significant values only (`Values`): a read field's
    distribution has a few dozen values above 1e-20 among its thousand (or hundred
    thousand), and summing over those is what makes the factor cheap. The bound on what
    that leaves out: every pruning drops at most `share` of its vector's mass, and a
    message's sum takes at most 3n of them (the n parts, n - 1 forward, n - 1 backward,
    the total), so it moves by at most odds 3n `share` = PRUNED times the message's first
    term, which is a lower bound of the message: each message is within PRUNED, relatively,
    of the unpruned one at every value."""
    masses = [float(p.sum()) for p in parts]
    y = total[:-1]
    keep = np.flatnonzero(y >= SIGNIFICANT)
    length = int(keep[-1]) + 1 if len(keep) else 1
    share = PRUNED / (3 * max(len(parts), 1) * max(odds, 1.0))
    numbers = [
        significant(p[: min(length, len(p) - 1)], m, share)
        for p, m in zip(parts, masses, strict=True)
    ]
    sums = running(numbers, length, share)
    out: dict[int, Vector] = {}
    if len(parts) in wanted:
        to_total = np.full(len(total), math.prod(masses))
        r = add(sums[-1], numbers[-1], length)
        to_total[r.at] += odds * r.p
        out[len(parts)] = to_total
    if any(j < len(parts) for j in wanted):
        kept = np.where(y >= SIGNIFICANT, y, 0.0)[:length]
        rest = backward(numbers, significant(kept, float(total.sum()), share), length, share)
        for j in (j for j in wanted if j < len(parts)):
            message = np.full(len(parts[j]), math.prod(masses[:j] + masses[j + 1 :]))
            message *= float(total.sum())
            r = lag(rest[j], sums[j], length)
            head = r.at < len(parts[j]) - 1
            message[r.at[head]] += odds * r.p[head]
            out[j] = message
    return [out[j] for j in wanted]


def _relation_messages(accepted: Callable[[int], frozenset[int]], odds: float) -> Messages:
    """Messages of the factor 1 + odds [shown is a number the rule accepts for given].
    What the rule accepts is asked once per value (the factor is asked up to three times)."""
    rule: dict[int, frozenset[int]] = {}

    def messages(inputs: Sequence[Vector], wanted: Sequence[int]) -> list[Vector]:
        given, shown = inputs
        to_given = np.full(len(given), float(shown.sum()))
        to_shown = np.full(len(shown), float(given.sum()))
        for value in np.flatnonzero(given[:-1] >= SIGNIFICANT).tolist():
            if value not in rule:
                rule[value] = accepted(value)
            ok = [v for v in rule[value] if v < len(shown) - 1]
            to_given[value] += odds * float(shown[ok].sum())
            to_shown[ok] += odds * float(given[value])
        return [(to_given, to_shown)[j] for j in wanted]

    return messages
