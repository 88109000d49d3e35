"""Scoring functions: raw indicator value → normalised value n (docs/methods.md §2.3).

The indicator score is ``weight × n``: for benchmark-ratio scoring ``n = value ÷ benchmark``, so a
firm exactly at the benchmark scores its full weight, and a cap of ``k × weight`` is ``n ≤ k``.
Each scorer is fitted on the population (valid rows of a segment, grouped by ``by``) and then
applied with those parameters held fixed, which is what explanations need.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pingtai.engine.methods import (
    Banded,
    BenchmarkRatio,
    MinMax,
    PercentileRank,
    Scoring,
    Target,
    Vector,
    ZScore,
)


def group_mean(x: np.ndarray, valid: np.ndarray, g: np.ndarray, n_groups: int) -> np.ndarray:
    count = np.bincount(g[valid], minlength=n_groups)
    total = np.bincount(g[valid], weights=x[valid], minlength=n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        return total / count


def group_quantile(
    x: np.ndarray, valid: np.ndarray, g: np.ndarray, n_groups: int, q: float
) -> np.ndarray:
    """Per-group quantile with linear interpolation (numpy's default definition)."""
    xs, gs = x[valid], g[valid]
    order = np.lexsort((xs, gs))
    xs, gs = xs[order], gs[order]
    count = np.bincount(gs, minlength=n_groups)
    start = np.concatenate(([0], np.cumsum(count)[:-1]))
    out = np.full(n_groups, np.nan)
    has = count > 0
    pos = (count[has] - 1) * (q / 100.0)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, count[has] - 1)
    frac = pos - lo
    base = start[has]
    out[has] = xs[base + lo] * (1 - frac) + xs[base + hi] * frac
    return out


@dataclass
class Fitted:
    """A scorer with its population parameters (one value per group unless noted)."""

    spec: Scoring
    direction: str
    g: np.ndarray  # group index of each population row
    params: dict[str, np.ndarray] = field(default_factory=dict)

    def transform(self, x: np.ndarray, g: np.ndarray | None = None) -> np.ndarray:
        """n for values ``x`` of rows in groups ``g`` (default: the fitted rows)."""
        g = self.g if g is None else g
        with np.errstate(divide="ignore", invalid="ignore"):
            return _TRANSFORM[self.spec.kind](self, x, g)

    def benchmark(self) -> np.ndarray | None:
        return self.params.get("benchmark")


def fit(
    spec: Scoring,
    direction: str,
    x: np.ndarray,
    valid: np.ndarray,
    g: np.ndarray,
    n_groups: int,
    numerator: np.ndarray | None = None,
    denominator: np.ndarray | None = None,
    unit_factor: float = 1.0,
    assigned: np.ndarray | None = None,
) -> Fitted:
    """Fit ``spec`` on the valid rows of ``x`` grouped by ``g``. ``assigned``: the group each
    scored entity is measured against, when the fitted population lists group members rather
    than the entities themselves (overlapping fallback groups, groups.py); default ``g``."""
    fitted = Fitted(spec, direction, g if assigned is None else assigned)
    p = fitted.params
    with np.errstate(divide="ignore", invalid="ignore"):
        if isinstance(spec, BenchmarkRatio):
            b = spec.benchmark
            if b.kind == "fixed":
                assert b.value is not None  # the method loader requires it for a fixed benchmark
                bench = np.full(n_groups, float(b.value))
            elif b.kind == "mean":
                bench = group_mean(x, valid, g, n_groups)
            elif b.kind == "median":
                bench = group_quantile(x, valid, g, n_groups, 50.0)
            elif b.kind == "percentile":
                assert b.q is not None  # the method loader requires it for a percentile benchmark
                bench = group_quantile(x, valid, g, n_groups, float(b.q))
            else:  # ratio of sums: the area-level figure Σ numerator ÷ Σ denominator (docs/methods.md §4)
                assert numerator is not None and denominator is not None
                num = np.bincount(g[valid], weights=numerator[valid], minlength=n_groups)
                den = np.bincount(g[valid], weights=denominator[valid], minlength=n_groups)
                bench = num / den * unit_factor
            p["benchmark"] = bench * (b.k if b.kind != "fixed" else 1.0)
        elif isinstance(spec, MinMax):
            lo = np.full(n_groups, np.inf)
            hi = np.full(n_groups, -np.inf)
            np.minimum.at(lo, g[valid], x[valid])
            np.maximum.at(hi, g[valid], x[valid])
            p["min"], p["max"] = lo, hi
        elif isinstance(spec, ZScore):
            mean = group_mean(x, valid, g, n_groups)
            dev = np.where(valid, x - mean[g], 0.0)
            count = np.bincount(g[valid], minlength=n_groups)
            p["mean"] = mean
            p["sd"] = np.sqrt(np.bincount(g, weights=dev * dev, minlength=n_groups) / count)
        elif isinstance(spec, PercentileRank):
            xs = x[valid]
            uniq = np.unique(xs)
            r = np.searchsorted(uniq, xs, side="right")  # 1-based rank among distinct values
            stride = len(uniq) + 1
            keys = np.sort(g[valid].astype(np.int64) * stride + r)
            count = np.bincount(g[valid], minlength=n_groups)
            p["uniq"], p["keys"], p["count"] = uniq, keys, count
            p["start"] = np.concatenate(([0], np.cumsum(count)[:-1]))
        elif isinstance(spec, Vector):
            p["norm"] = np.sqrt(np.bincount(g[valid], weights=x[valid] ** 2, minlength=n_groups))
        elif isinstance(spec, (Target, Banded)):
            pass
    return fitted


def _benchmark_ratio(f: Fitted, x: np.ndarray, g: np.ndarray) -> np.ndarray:
    b = f.params["benchmark"][g]
    b = np.where(b > 0, b, np.nan)  # a non-positive benchmark cannot score anyone
    if f.direction == "higher":
        return x / b
    return np.where(x > 0, b / x, np.nan)


def _minmax(f: Fitted, x: np.ndarray, g: np.ndarray) -> np.ndarray:
    lo, hi = f.params["min"][g], f.params["max"][g]
    span = hi - lo
    t = (x - lo) / span if f.direction == "higher" else (hi - x) / span
    t = np.where(span == 0, 1.0, t)  # all equal: everyone at the top (pymcdm convention)
    s = f.spec
    assert isinstance(s, MinMax)
    return s.low + (s.high - s.low) * t


def _zscore(f: Fitted, x: np.ndarray, g: np.ndarray) -> np.ndarray:
    sd = f.params["sd"][g]
    z = np.where(sd > 0, (x - f.params["mean"][g]) / sd, 0.0)
    z = z if f.direction == "higher" else -z
    s = f.spec
    assert isinstance(s, ZScore)
    return s.center + s.scale * z


def _percentile(f: Fitted, x: np.ndarray, g: np.ndarray) -> np.ndarray:
    p = f.params
    stride = len(p["uniq"]) + 1
    g64 = g.astype(np.int64)
    count = p["count"][g]
    if f.direction == "higher":  # share of the group at or below x
        r = np.searchsorted(p["uniq"], x, side="right")
        k = np.searchsorted(p["keys"], g64 * stride + r, side="right") - p["start"][g]
    else:  # share of the group at or above x
        r = np.searchsorted(p["uniq"], x, side="left")
        k = p["start"][g] + count - np.searchsorted(p["keys"], g64 * stride + r, side="right")
    return np.where(count > 0, k / count, np.nan)


def _target(f: Fitted, x: np.ndarray, g: np.ndarray) -> np.ndarray:
    s = f.spec
    assert isinstance(s, Target)
    return np.clip((x - s.baseline) / (s.target - s.baseline), 0.0, 1.0)


def _banded(f: Fitted, x: np.ndarray, g: np.ndarray) -> np.ndarray:
    s = f.spec
    assert isinstance(s, Banded)
    bands = sorted(s.bands, key=lambda b: b.threshold)
    t = np.array([b.threshold for b in bands])
    v = np.array([b.value for b in bands])
    if f.direction == "higher":  # the highest threshold not above x
        i = np.searchsorted(t, x, side="right") - 1
        out = np.where(i >= 0, v[np.clip(i, 0, None)], s.otherwise)
    else:  # the lowest threshold not below x
        i = np.searchsorted(t, x, side="left")
        out = np.where(i < len(t), v[np.clip(i, None, len(t) - 1)], s.otherwise)
    return np.where(np.isnan(x), np.nan, out)


def _vector(f: Fitted, x: np.ndarray, g: np.ndarray) -> np.ndarray:
    v = x / f.params["norm"][g]
    return v if f.direction == "higher" else 1.0 - v


_TRANSFORM = {
    "benchmark_ratio": _benchmark_ratio,
    "minmax": _minmax,
    "zscore": _zscore,
    "percentile": _percentile,
    "target": _target,
    "banded": _banded,
    "vector": _vector,
}


def bound(n: np.ndarray, cap: float | None, floor: float | None) -> np.ndarray:
    """Apply the per-indicator cap and floor (multiples of the weight; docs/methods.md §2.3 Caps)."""
    if cap is not None:
        n = np.minimum(n, cap)
    if floor is not None:
        n = np.maximum(n, floor)
    return n
