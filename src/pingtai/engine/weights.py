"""Weighting methods (docs/engine.md, "Method files"). Every function returns weights that sum to 1.

Objective weights (entropy, CRITIC, PCA) are computed on the segment's matrix of normalised,
direction-oriented values, one row per scored entity (pure array functions).
With too few entities (entropy: < 2; CRITIC, PCA: < 3) or no variation at all, they fall back
to equal weights rather than producing undefined ones.
"""

from __future__ import annotations

import numpy as np

# Saaty's random consistency index RI for n = 0..15.
_RI = (0.0, 0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59)


def normalised(w: np.ndarray) -> np.ndarray:
    """Scale to sum 1; weights that carry no information (all zero, or undefined) become equal."""
    w = np.asarray(w, dtype=float)
    total = w.sum()
    if not np.isfinite(total) or total <= 0 or not np.isfinite(w).all():
        return equal(len(w))
    return w / total


def equal(k: int) -> np.ndarray:
    return np.full(k, 1.0 / k)


def entropy(matrix: np.ndarray) -> np.ndarray:
    """Shannon-entropy weights: p = x / Σx per column, E = −Σ p ln p / ln m, w ∝ 1 − E.

    Uses the limit 0 · ln 0 = 0. (pymcdm instead sets E = 0 for any column containing a zero;
    the two agree on strictly positive matrices.)
    """
    x = np.asarray(matrix, dtype=float)
    m = x.shape[0]
    if m < 2:
        return equal(x.shape[1])
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / x.sum(axis=0)
        plogp = np.where(p > 0, p * np.log(p), 0.0)
    e = -plogp.sum(axis=0) / np.log(m)
    return normalised(1.0 - e)


def critic(matrix: np.ndarray) -> np.ndarray:
    """CRITIC (Diakoulaki 1995): min–max normalise, c_j = σ_j Σ_k (1 − r_jk), w ∝ c."""
    x = np.asarray(matrix, dtype=float)
    if x.shape[0] < 3:  # a correlation needs at least three rows to mean anything
        return equal(x.shape[1])
    lo, hi = x.min(axis=0), x.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    nx = np.where(hi > lo, (x - lo) / span, 1.0)
    sd = nx.std(axis=0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.corrcoef(nx, rowvar=False)
    r = np.nan_to_num(np.atleast_2d(r), nan=0.0)
    return normalised(sd * (1.0 - r).sum(axis=0))


def pca(matrix: np.ndarray) -> np.ndarray:
    """PCA weights: squared loadings of the components with eigenvalue ≥ 1 (Kaiser rule) on the
    standardised matrix, each component weighted by its share of explained variance (the
    OECD/JRC Handbook's factor-analysis weighting, without rotation)."""
    x = np.asarray(matrix, dtype=float)
    if x.shape[0] < 3:
        return equal(x.shape[1])
    sd = x.std(axis=0, ddof=1)
    z = (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    corr = np.atleast_2d(np.cov(z, rowvar=False))
    values, vectors = np.linalg.eigh(corr)
    keep = values >= 1.0
    if not keep.any():
        keep = values == values.max()
    share = values[keep] / values[keep].sum()
    return normalised((vectors[:, keep] ** 2 * share).sum(axis=1))


def ahp(matrix: np.ndarray) -> tuple[np.ndarray, float]:
    """AHP weights (principal eigenvector) and consistency ratio CR = CI / RI (Saaty)."""
    a = np.asarray(matrix, dtype=float)
    n = a.shape[0]
    values, vectors = np.linalg.eig(a)
    i = int(np.argmax(values.real))
    w = normalised(np.abs(vectors[:, i].real))
    if n <= 2:
        return w, 0.0
    ci = (values[i].real - n) / (n - 1)
    return w, float(ci / _RI[min(n, len(_RI) - 1)])
