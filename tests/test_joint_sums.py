"""The joint model's sums over significant values only (`reconcile.joint_sums`): the same
convolutions as dense ones on both paths (direct and FFT), pruning within its stated bound,
and a sheet's supports equal to dense sums where pruning is at work (sharp readings, whose
distributions are mostly values below 1e-20)."""

from __future__ import annotations

import numpy as np
import pytest

from canvass.forms.spec import Identity
from canvass.model import FieldReading
from ocr.verify import value_distribution
from reconcile.joint import SIGNIFICANT, SheetModel, SheetOdds, support_sheet
from reconcile.joint_sums import Values, _fft_cost, add, lag, significant

PLACES = 12  # what the reader keeps of a box's probabilities (ocr/assemble.py)


def scattered(rng: np.random.Generator, length: int, count: int) -> np.ndarray:
    out = np.zeros(length)
    out[rng.choice(length, count, replace=False)] = rng.random(count)
    return out


def dense(v: Values, length: int) -> np.ndarray:
    out = np.zeros(length)
    out[v.at] = v.p
    return out


def correlation(weight: np.ndarray, others: np.ndarray, lags: int | None = None) -> np.ndarray:
    """r[v] = sum_a weight[a] others[a - v] for v below `lags` (all), summed plainly."""
    n = len(weight)
    return np.array([float(weight[v:] @ others[: n - v]) for v in range(lags or n)])


@pytest.mark.parametrize(
    ("length", "count", "fft"), [(60, 6, False), (900, 40, False), (900, 500, True)]
)
def test_sums_equal_dense_ones(length: int, count: int, fft: bool) -> None:
    rng = np.random.default_rng(length + count)
    a, b = scattered(rng, length, count), scattered(rng, length, count)
    va, vb = significant(a, float(a.sum()), 0.0), significant(b, float(b.sum()), 0.0)
    assert (count * count > _fft_cost(length)) == fft  # the path this case is for
    scale = float(np.convolve(a, b).max())
    got = dense(add(va, vb, length), length)
    np.testing.assert_allclose(got, np.convolve(a, b)[:length], rtol=0, atol=1e-13 * scale)
    got = dense(lag(va, vb, length), length)
    np.testing.assert_allclose(got, correlation(a, b), rtol=0, atol=1e-13 * scale)


def box(rng: np.random.Generator, written: dict[int | None, float]) -> tuple[float, ...]:
    """One box as the reader stores it: the `written` digits (None: blank) with their
    shares of nearly all the mass, every other digit at 1e-12 .. 1e-5, PLACES decimals."""
    row = 10.0 ** rng.uniform(-12, -5, 11)
    places = {0 if d is None else d + 1: share for d, share in written.items()}
    rest = 1.0 - 1e-7 - sum(p for i, p in enumerate(row) if i not in places)
    for i, share in places.items():
        row[i] = share * rest
    return tuple(round(float(p), PLACES) for p in row)


def sharp_boxes(
    rng: np.random.Generator, digits: list[int | None]
) -> tuple[tuple[float, ...], ...]:
    return tuple(box(rng, {d: 1.0}) for d in digits)


def test_pruning_leaves_out_at_most_its_share() -> None:
    rng = np.random.default_rng(5)
    v = value_distribution(sharp_boxes(rng, [1, 7, 3]))
    mass = float(v.sum())
    for share in (1e-6, 1e-12, 1e-20):
        kept = significant(v, mass, share)
        assert 0.0 <= mass - float(kept.p.sum()) <= share * mass
        assert len(kept.at) < np.count_nonzero(v)  # something is left out
    w = value_distribution(sharp_boxes(rng, [None, 4, 2]))
    vv, vw = significant(v, mass, 0.0), significant(w, float(w.sum()), 0.0)
    exact = float(add(vv, vw, 2000).p.sum())
    pruned = float(add(vv, vw, 2000, 1e-15).p.sum())
    assert 0.0 <= exact - pruned <= 1e-15 * exact


def reading(boxes: tuple[tuple[float, ...], ...]) -> FieldReading:
    return FieldReading(value=None, confidence=0.5, status="uncertain", boxes=boxes)


def with_rest(v: np.ndarray) -> np.ndarray:
    return np.append(v, max(0.0, 1.0 - float(v.sum())))


def dense_marginals(fields: dict[str, FieldReading], odds: float) -> dict[str, np.ndarray]:
    """The one identity parts = total, by dense sums (np.convolve), with the model's cut of
    the total's values below SIGNIFICANT."""
    parts = [with_rest(value_distribution(f.boxes)) for k, f in fields.items() if k != "total"]
    total = with_rest(value_distribution(fields["total"].boxes))
    y = np.where(total[:-1] >= SIGNIFICANT, total[:-1], 0.0)
    length = int(np.flatnonzero(y)[-1]) + 1
    masses = [float(p.sum()) for p in parts]
    out = {}
    for j, p in enumerate(parts):
        others = np.ones(1)
        for i, q in enumerate(parts):
            others = others if i == j else np.convolve(others, q[:-1])
        agree = correlation(np.pad(y, (0, len(others))), np.pad(others, (0, len(y))), len(p) - 1)
        message = np.full(len(p), np.prod(masses[:j] + masses[j + 1 :]) * total.sum())
        message[:-1] += odds * agree
        out[f"part{j}"] = p * message
    every = np.ones(1)
    for q in parts:
        every = np.convolve(every, q[:-1])
    to_total = np.full(len(total), np.prod(masses))
    reach = min(length, len(every))
    to_total[:reach] += odds * every[:reach]
    out["total"] = total * to_total
    return {k: v[:-1] / v.sum() for k, v in out.items()}


@pytest.mark.parametrize("seed", [1, 2])
def test_supports_equal_dense_sums_on_sharp_readings(seed: int) -> None:
    """Three three-box counts and their four-box total, one count between 42 and 44 (44
    likelier) where the sum says 42: pruning leaves out most of every distribution, and
    the supports are those of the dense sums."""
    rng = np.random.default_rng(seed)
    fields = {
        "part0": reading(sharp_boxes(rng, [1, 2, 3])),
        "part1": reading((box(rng, {None: 1.0}), box(rng, {4: 1.0}), box(rng, {2: 0.3, 4: 0.7}))),
        "part2": reading(sharp_boxes(rng, [None, 5, 8])),
        "total": reading(sharp_boxes(rng, [None, 2, 2, 3])),  # 123 + 42 + 58 = 223
    }
    identity = Identity("sum", "FIRST_TOTAL_MISMATCH", ("part0", "part1", "part2"), "total")
    for odds in (1000.0, 100000.0):
        got = support_sheet(fields, SheetModel((identity,)), SheetOdds(odds))
        for key, want in dense_marginals(fields, odds).items():
            marginal = got.marginal(key)
            assert marginal is not None
            np.testing.assert_allclose(marginal, want, rtol=0, atol=1e-14, err_msg=key)
        assert got.best_other("part1", 44)[0] == 42
        assert got.support("part1", 42) > 0.99
