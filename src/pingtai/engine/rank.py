"""Deterministic orderings and ranks within groups (docs/engine.md, "Pipeline and formulas").

Order inside a group: score descending, then the method's ``ranking.tie_break`` keys in turn
(missing tie-break values last), then the entity id ascending, so every entity gets a unique
position (``rank_order``). ``rank`` is the standard competition rank ("1224"): entities whose
scores are exactly equal share the best position of their block.
"""

from __future__ import annotations

import numpy as np


def sort_key(values: np.ndarray, descending: bool) -> np.ndarray:
    """A lexsort key that puts NaN last in either direction."""
    key = -values if descending else values.astype(float)
    return np.where(np.isnan(key), np.inf, key)


def small_int(g: np.ndarray) -> np.ndarray:
    """Group codes as int16 when they fit, which lets numpy's stable sort use radix sort."""
    return g.astype(np.int16) if len(g) and g.max() < 32_767 else g


def group_starts(g: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    size = np.bincount(g, minlength=n_groups)
    return np.concatenate(([0], np.cumsum(size)[:-1])), size


def order_within(
    g: np.ndarray, score: np.ndarray, tie_keys: list[np.ndarray], id_rank: np.ndarray
) -> np.ndarray:
    """Indices sorting rows by group, score desc, tie-break keys, id asc.

    Sorts on (group, score) first and re-sorts only the blocks of exactly equal scores by the
    tie-break keys, which is much cheaper than a full multi-key sort when ties are rare.
    """
    # Exact ties are re-sorted below, so the score sort need not be stable; the group sort
    # must be, and on a small integer type numpy does it as a linear-time radix sort.
    by_score = np.argsort(sort_key(score, True))
    order = by_score[np.argsort(small_int(g)[by_score], kind="stable")]
    gs, ss = g[order], score[order]
    tied = np.zeros(len(order), dtype=bool)
    same = (gs[1:] == gs[:-1]) & ((ss[1:] == ss[:-1]) | (np.isnan(ss[1:]) & np.isnan(ss[:-1])))
    tied[1:] |= same
    tied[:-1] |= same
    if tied.any():
        pos = np.flatnonzero(tied)
        block = np.cumsum(np.concatenate(([True], ~same)))[pos]  # id of each tie block
        rows = order[pos]
        keys = [id_rank[rows], *reversed([k[rows] for k in tie_keys]), block]
        order[pos] = rows[np.lexsort(keys)]
    return order


def positions(g: np.ndarray, order: np.ndarray, n_groups: int) -> np.ndarray:
    """0-based position of each row inside its group, given a group-major ``order``."""
    start, _ = group_starts(g, n_groups)
    pos = np.empty(len(g), dtype=np.int64)
    pos[order] = np.arange(len(g)) - start[g[order]]
    return pos


def competition_rank(
    g: np.ndarray, score: np.ndarray, order: np.ndarray, n_groups: int
) -> np.ndarray:
    """1-based rank with ties sharing the best rank; NaN scores rank after all others."""
    gs, ss = g[order], score[order]
    new_block = np.ones(len(order), dtype=bool)
    same_score = (ss[1:] == ss[:-1]) | (np.isnan(ss[1:]) & np.isnan(ss[:-1]))
    new_block[1:] = (gs[1:] != gs[:-1]) | ~same_score
    block_start = np.maximum.accumulate(np.where(new_block, np.arange(len(order)), 0))
    start, _ = group_starts(g, n_groups)
    rank = np.empty(len(g), dtype=np.int64)
    rank[order] = block_start - start[gs] + 1
    return rank
