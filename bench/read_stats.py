"""Bounds, not points: the one-sided 95% upper bound of a rate seen as k in n.

Why: "2 wrong values accepted of 57,639" is a point; what the targets need is how high the
true rate could be given what was seen. The exact (Clopper-Pearson) bound is the rate p at
which seeing k or fewer in n would happen only 5% of the time. With none seen it is about
3/n (so about 30,000 tries with none accepted bound a rate at 1e-4), with two about 6.3/n.
"""

from __future__ import annotations

import math

CONFIDENCE = 0.95


def upper_bound(k: int, n: int, confidence: float = CONFIDENCE) -> float:
    """The one-sided `confidence` upper bound of a rate seen as `k` events in `n` trials
    (exact binomial, by bisection); 1.0 when nothing was tried or everything happened."""
    if n <= 0 or k >= n:
        return 1.0
    if k < 0:
        raise ValueError(f"k = {k}: a count of events cannot be negative")
    tail = 1.0 - confidence
    low, high = k / n, 1.0
    for _ in range(200):
        mid = (low + high) / 2
        if _binomial_cdf(k, n, mid) > tail:
            low = mid
        else:
            high = mid
        if high - low <= 1e-12 * high:
            break
    return high


def _binomial_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p), summed in logs (n may be in the hundreds of
    thousands, k small)."""
    if p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 0.0
    log_p, log_q = math.log(p), math.log1p(-p)
    terms = [
        math.lgamma(n + 1)
        - math.lgamma(i + 1)
        - math.lgamma(n - i + 1)
        + i * log_p
        + (n - i) * log_q
        for i in range(k + 1)
    ]
    top = max(terms)
    return min(1.0, math.exp(top) * sum(math.exp(t - top) for t in terms))


def bound_text(k: int, n: int) -> str:
    """ "k of n (95% bound b)" for a table."""
    return f"{k} of {n:,} (<= {upper_bound(k, n):.2e})"
