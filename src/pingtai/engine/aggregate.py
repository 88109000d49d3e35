"""Aggregation of normalised values into a composite (docs/engine.md, "Pipeline and formulas").

Each aggregator maps an (entities × indicators) matrix ``n`` and weights ``w`` (summing to 1)
to a value per entity on the "n scale"; the segment score is that value × the weight total,
so for the weighted sum ``score = Σ weight_i × n_i`` (docs/methods.md §2.3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def weighted_sum(n: np.ndarray, w: np.ndarray) -> np.ndarray:
    return n @ w


def geometric(n: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted geometric mean Π n_i^w_i; any n_i ≤ 0 makes the product 0."""
    with np.errstate(divide="ignore"):
        logs = np.where(n > 0, np.log(np.where(n > 0, n, 1.0)), -np.inf)
    return np.exp(logs @ w)


@dataclass(frozen=True)
class Ideals:
    best: np.ndarray
    worst: np.ndarray


def topsis_ideals(n: np.ndarray, w: np.ndarray) -> Ideals:
    v = n * w
    return Ideals(v.max(axis=0), v.min(axis=0))


def topsis(n: np.ndarray, w: np.ndarray, ideals: Ideals | None = None) -> np.ndarray:
    """Closeness C = D⁻ / (D⁺ + D⁻) to the ideal (Hwang & Yoon); ``n`` is already oriented so
    that higher is better. ``ideals`` may be held fixed (explanations, robustness)."""
    v = n * w
    ideals = ideals or topsis_ideals(n, w)
    d_best = np.sqrt(((v - ideals.best) ** 2).sum(axis=1))
    d_worst = np.sqrt(((v - ideals.worst) ** 2).sum(axis=1))
    total = d_best + d_worst
    with np.errstate(divide="ignore", invalid="ignore"):
        # Everyone identical: no one is closer to either ideal, so all get the midpoint.
        return np.where(total > 0, d_worst / total, 0.5)


@dataclass(frozen=True)
class Structure:
    """How a segment aggregates: flat, or pillars (direction → indicator)."""

    kind: str  # weighted_sum / geometric / topsis (top level)
    pillar_of: np.ndarray | None  # pillar index of each indicator, None = flat
    pillar_kinds: tuple[str, ...] = ()

    def score(self, n: np.ndarray, eff: np.ndarray, ideals: Ideals | None = None) -> np.ndarray:
        """Composite on the n scale for effective indicator weights ``eff`` (sum 1).

        With pillars, a pillar's weight is the sum of its indicators' effective weights and
        the indicators are weighted relative to each other inside it.
        """
        if self.pillar_of is None:
            if self.kind == "topsis":
                return topsis(n, eff, ideals)
            return _AGG[self.kind](n, eff)
        k = int(self.pillar_of.max()) + 1
        pw = np.bincount(self.pillar_of, weights=eff, minlength=k)
        cols = []
        for p in range(k):
            idx = self.pillar_of == p
            cols.append(_AGG[self.pillar_kinds[p]](n[:, idx], eff[idx] / pw[p]))
        return _AGG[self.kind](np.column_stack(cols), pw)


_AGG = {"weighted_sum": weighted_sum, "geometric": geometric}
