"""The sums of the joint sheet model (`reconcile.joint`) over significant values only.

A read field's distribution over its thousand (or hundred thousand) values has a few
dozen above 1e-20: the rest are products of digits the model all but rules out. The sum
factor's convolutions are taken over those few: directly (every pair of nonzero values)
where that takes fewer products than an FFT of the whole range, by FFT otherwise. A
vector is pruned only with a bound: what one pruning leaves out is at most `share` of
the vector's mass (`significant`, `_gathered`); `reconcile.joint._sum_factor` says what
that bounds in its messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

Vector = NDArray[np.float64]


class Values(NamedTuple):
    """A nonnegative vector by its nonzero values: at `at` (increasing), the values `p`."""

    at: NDArray[np.intp]
    p: Vector


def significant(v: Vector, mass: float, share: float) -> Values:
    """`v`'s values but those below `share` of `mass` (at least v's) over their number:
    what is left out is at most `share` of `mass`."""
    at = np.flatnonzero(v)
    p = v[at]
    keep = p > share * mass / max(len(at), 1)
    return Values(at[keep], p[keep])


def forward(parts: Sequence[Values], length: int, share: float) -> list[Values]:
    """forward[j]: the distribution of X_1 + ... + X_j (forward[0]: 0 surely), for j = 0 ..
    n - 1, each pruned (`_gathered`) and truncated to values below `length`."""
    sums = [Values(np.zeros(1, np.intp), np.ones(1))]
    for p in parts[:-1]:
        sums.append(add(sums[-1], p, length, share))
    return sums


def backward(parts: Sequence[Values], y: Values, length: int, share: float) -> list[Values]:
    """backward[j](s) = sum_v y(v) P(X_j+1 + ... + X_n = v - s), for j = 0 .. n - 1, pruned
    as `forward`. The sum for part j at x is then sum_s forward[j](s) backward[j](s + x)."""
    rest = [y]
    for p in reversed(parts[1:]):
        rest.append(lag(rest[-1], p, length, share))
    rest.reverse()
    return rest


def add(a: Values, b: Values, length: int, share: float = 0.0) -> Values:
    """(a * b)[:length], the convolution, pruned by `share` (`_gathered`): summed directly
    over the nonzero values when there are few of them, else by FFT (exact to rounding;
    negatives from rounding clipped)."""
    if not len(a.at) or not len(b.at):
        return Values(a.at[:0], a.p[:0])
    if len(a.at) * len(b.at) > _fft_cost(length):
        n = _fft_length(length)
        spectrum = np.fft.rfft(_dense(a, length), n) * np.fft.rfft(_dense(b, length), n)
        out = np.clip(np.fft.irfft(spectrum, n)[:length], 0.0, None)
        return significant(out, float(out.sum()), share)
    at = np.add.outer(a.at, b.at).ravel()
    weights = np.multiply.outer(a.p, b.p).ravel()
    if a.at[-1] + b.at[-1] >= length:
        inside = at < length
        at, weights = at[inside], weights[inside]
    return _gathered(at, weights, length, share)


def lag(weight: Values, others: Values, length: int, share: float = 0.0) -> Values:
    """r[v] = sum_a weight[a] others[a - v] for v in [0, length), the correlation: as
    `add`. Both vectors' values lie below `length`."""
    if not len(weight.at) or not len(others.at):
        return Values(weight.at[:0], weight.p[:0])
    if len(weight.at) * len(others.at) > _fft_cost(length):
        n = _fft_length(length)
        w, o = _dense(weight, length), _dense(others, length)
        spectrum = np.fft.rfft(w, n) * np.conj(np.fft.rfft(o, n))
        out = np.clip(np.fft.irfft(spectrum, n)[:length], 0.0, None)
        return significant(out, float(out.sum()), share)
    at = np.subtract.outer(weight.at, others.at).ravel()
    weights = np.multiply.outer(weight.p, others.p).ravel()
    if weight.at[0] < others.at[-1] or weight.at[-1] - others.at[0] >= length:
        inside = (at >= 0) & (at < length)
        at, weights = at[inside], weights[inside]
    return _gathered(at, weights, length, share)


def _gathered(at: NDArray[np.intp], weights: Vector, length: int, share: float) -> Values:
    """The sums of `weights` at each position in `at` (all in [0, length)), but those below
    `share` of the mean weight: what is left out is at most `share` of the mass (k sums,
    each at most share * sum / len(at), and k <= len(at))."""
    cut = share * float(weights.sum()) / max(len(at), 1)
    if length <= 8 * len(at):
        dense = np.asarray(np.bincount(at, weights, minlength=length), np.float64)
        where = np.flatnonzero(dense > cut)
        return Values(where, dense[where])
    where, inverse = np.unique(at, return_inverse=True)
    sums = np.asarray(np.bincount(inverse, weights, minlength=len(where)), np.float64)
    keep = sums > cut
    return Values(where[keep], sums[keep])


def _dense(v: Values, length: int) -> Vector:
    out = np.zeros(length)
    inside = v.at < length
    out[v.at[inside]] = v.p[inside]
    return out


def _fft_length(length: int) -> int:
    """A power of two that holds a linear convolution of two vectors of `length`."""
    return 1 << max(1, (2 * length - 1).bit_length())


def _fft_cost(length: int) -> int:
    """How many products a direct sum may take before an FFT of `length` is cheaper:
    measured at 4-20 ns a product (with the sort that gathers them) against about 1.2 ns
    n log2 n (numpy's pocketfft, one core) and 15 us for the FFT's three transforms."""
    n = _fft_length(length)
    return n * n.bit_length() // 8 + 2000
