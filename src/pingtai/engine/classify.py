"""Classes A/B/C/D by score thresholds, quotas or both (docs/methods.md §2.6).

- thresholds: the first band whose ``min_score`` the score reaches (the last band takes the rest);
- quota: bands take consecutive shares of the group in the deterministic rank order; the
  cumulative boundary after band i is round-half-up(Σ share × group size), so each band's count
  is within 1 of its share and the counts add up to the group size;
- mixed: the worse of the two classes (a quota place does not lift a score below the band's
  floor, and a high score does not beat the quota).
"""

from __future__ import annotations

import numpy as np

from pingtai.engine.methods import Classes


def threshold_index(score: np.ndarray, mins: np.ndarray) -> np.ndarray:
    """Band index for each score; ``mins`` are the descending floors of all bands but the last."""
    return (score[:, None] < mins[None, :]).sum(axis=1)


def quota_bounds(shares: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Cumulative position bounds (groups × bands−1) from the shares of all bands but the last."""
    cum = np.cumsum(shares)
    return np.floor(cum[None, :] * size[:, None] + 0.5).astype(np.int64)


def quota_index(pos: np.ndarray, g: np.ndarray, shares: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Band index from the 0-based position ``pos`` inside group ``g`` of ``size[g]`` members."""
    bounds = quota_bounds(shares, size)
    return (pos[:, None] >= bounds[g]).sum(axis=1)


def classify(
    spec: Classes,
    score: np.ndarray,
    pos: np.ndarray | None,
    g: np.ndarray | None,
    size: np.ndarray | None,
) -> np.ndarray:
    """Band index per entity (0 = best). Quota kinds need positions within class groups."""
    head = spec.bands[:-1]
    idx = np.zeros(len(score), dtype=np.int64)
    if spec.kind in ("thresholds", "mixed"):
        idx = threshold_index(score, np.array([b.min_score for b in head], dtype=float))
    if spec.kind in ("quota", "mixed"):
        if pos is None or g is None or size is None:
            raise ValueError("按比例分档需要每个主体在分档组内的位次")
        q = quota_index(pos, g, np.array([b.share for b in head], dtype=float), size)
        idx = np.maximum(idx, q)
    return idx
