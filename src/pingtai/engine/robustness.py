"""Rank and class robustness by Monte Carlo (docs/engine.md, "Robustness").

Each draw perturbs the indicator weights — Dirichlet around the base weights with
concentration α₀ (``E[w] = base``), or each weight × U(1 − s, 1 + s) then renormalised — and,
if the method lists ``robustness.alternatives``, picks one normalisation uniformly from the base
and the alternatives. Alternative normalisations are rescaled to the base's per-indicator mean
and standard deviation, so score thresholds keep their meaning. Benchmarks, vetoes, re-grades
and adjustments stay fixed. Exact ties within a draw are broken by entity id.

Reported per entity: ``rank_p05``, ``rank_median``, ``rank_p95`` (observed ranks, the
inverted-CDF percentiles), ``p_class_<X>``, ``p_last`` and a ``robust_flag`` of comma-separated
codes: ``class_unstable`` (等级不稳健) when the base class is kept in fewer than
``stable_probability`` of draws; ``last_unstable`` (末位不稳健) when the last place in the group
is not kept that often; ``maybe_last`` (可能末位) when a non-last entity is last in more than
1 − ``stable_probability`` of draws.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from pingtai.core.progress import Progress
from pingtai.engine import classify, normalise, rank
from pingtai.engine.groups import Groups
from pingtai.engine.methods import (
    Benchmark,
    BenchmarkRatio,
    Method,
    MinMax,
    PercentileRank,
    Scoring,
    Vector,
    ZScore,
)
from pingtai.engine.result import SegmentRun, text_column

CHUNK = 64  # draws between two progress reports


def draw_weights(
    base: np.ndarray, draws: int, method: Method, rng: np.random.Generator
) -> np.ndarray:
    """(draws × k) weight vectors, each summing to 1."""
    r = method.robustness
    if r.weights == "dirichlet":
        # An indicator with base weight 0 (e.g. an entropy weight) stays near 0 instead of
        # making the Dirichlet parameter invalid.
        return rng.dirichlet(np.maximum(base * r.concentration, 1e-9), size=draws)
    w = base * rng.uniform(1 - r.spread, 1 + r.spread, size=(draws, len(base)))
    return w / w.sum(axis=1, keepdims=True)


def _alternative(kind: str, run: SegmentRun, j: int) -> np.ndarray:
    """Column j re-normalised with ``kind``, matched to the base column's mean and sd."""
    alternatives: dict[str, Scoring] = {
        "minmax": MinMax(kind="minmax"),
        "zscore": ZScore(kind="zscore"),
        "percentile": PercentileRank(kind="percentile"),
        "vector": Vector(kind="vector"),
        "benchmark_ratio": BenchmarkRatio(kind="benchmark_ratio", benchmark=Benchmark(kind="mean")),
    }
    spec = alternatives[kind]
    x = run.x[:, j]
    valid = ~np.isnan(x)
    g = np.zeros(len(x), dtype=np.int64)
    f = normalise.fit(spec, run.fitted[j].direction, x, valid, g, 1)
    alt = f.transform(x)
    base = run.n[:, j]
    a_mu, a_sd = (
        np.nanmean(alt[valid]) if valid.any() else 0.0,
        np.nanstd(alt[valid]) if valid.any() else 0.0,
    )
    b_mu, b_sd = (
        base[valid].mean() if valid.any() else 0.0,
        base[valid].std() if valid.any() else 0.0,
    )
    scaled = b_mu + (alt - a_mu) * (b_sd / a_sd if a_sd > 0 else 0.0)
    scaled = normalise.bound(scaled, run.caps[j], run.floors[j])
    return np.where(valid, scaled, base)  # missing values keep their base treatment


def simulate(
    method: Method,
    runs: dict[str, SegmentRun],
    n_rows: int,
    draws: int,
    seed: int,
    progress: Progress | None = None,
) -> dict[str, pl.Series]:
    """Robustness columns for the whole table (null for entities that were not scored)."""
    classes = sorted({b.class_ for r in runs.values() for b in r.spec.class_rules().bands})
    p05 = np.full(n_rows, np.nan)
    p50 = np.full(n_rows, np.nan)
    p95 = np.full(n_rows, np.nan)
    p_last = np.full(n_rows, np.nan)
    p_class = {c: np.full(n_rows, np.nan) for c in classes}
    flags = np.full(n_rows, -1, dtype=np.int64)
    rng = np.random.default_rng(seed)
    total_chunks = sum(-(-draws // CHUNK) for _ in runs) or 1
    done = 0
    for name, run in runs.items():
        m = len(run.rows)
        if m == 0:
            continue
        class_rules = run.spec.class_rules()
        bands = class_rules.bands
        w = draw_weights(run.eff, draws, method, rng)
        alts = [run.n] + [
            np.column_stack([_alternative(kind, run, j) for j in range(run.n.shape[1])])
            for kind in method.robustness.alternatives
        ]
        pick = rng.integers(0, len(alts), size=draws)
        rg, cg = run.rank_groups, run.class_groups
        dtype = np.uint16 if rg.size.max() < 65_535 else np.int32
        ranks = np.empty((m, draws), dtype=dtype)
        class_counts = np.zeros((m, len(bands)), dtype=np.int64)
        last_count = np.zeros(m, dtype=np.int64)
        last_pos = rg.size[rg.g] - 1
        rank_by_id = np.argsort(rg.members(run.id_rank))
        class_by_id = np.argsort(cg.members(run.id_rank))
        rank_start = rank.group_starts(rg.mg, rg.n)[0]
        class_start = rank.group_starts(cg.mg, cg.n)[0]
        # Without fallback groups both orders run over the same rows: sort once per draw.
        shared = rg.member_row is None and cg.member_row is None
        for c0 in range(0, draws, CHUNK):
            c1 = min(draws, c0 + CHUNK)
            for d in range(c0, c1):
                s = run.composite(alts[pick[d]], w[d])
                order = _score_order(rg, rank_by_id, s)
                pos = _positions(rg, order, rank_start)
                ranks[:, d] = pos + 1
                last_count += pos == last_pos
                if class_rules.kind == "thresholds":
                    idx = classify.classify(class_rules, s, None, None, None)
                else:
                    if cg is rg:
                        cpos = pos
                    else:
                        corder = order if shared else _score_order(cg, class_by_id, s)
                        cpos = _positions(cg, corder, class_start)
                    idx = classify.classify(class_rules, s, cpos, cg.g, cg.size)
                idx = np.where(run.forced >= 0, run.forced, idx)
                class_counts[np.arange(m), idx] += 1
            done += 1
            if progress:
                progress(done, total_chunks, f"稳健性模拟：{name} {c1}/{draws}")
        q = np.percentile(ranks, [5, 50, 95], axis=1, method="inverted_cdf")
        rows = run.rows
        p05[rows], p50[rows], p95[rows] = q[0], q[1], q[2]
        p_last[rows] = last_count / draws
        prob = class_counts / draws
        for b, band in enumerate(bands):
            p_class[band.class_][rows] = prob[:, b]
        base_idx = np.where(run.forced >= 0, run.forced, run.class_index)
        stable = method.robustness.stable_probability
        keep = prob[np.arange(m), base_idx]
        is_last = run.rank_pos == last_pos
        code = (
            (keep < stable) * 1
            + (is_last & (p_last[rows] < stable)) * 2
            + (~is_last & (p_last[rows] > 1 - stable)) * 4
        )
        flags[rows] = np.where(code == 0, -1, code)
    cols = {
        "rank_p05": pl.Series("rank_p05", p05).fill_nan(None).cast(pl.Int64),
        "rank_median": pl.Series("rank_median", p50).fill_nan(None).cast(pl.Int64),
        "rank_p95": pl.Series("rank_p95", p95).fill_nan(None).cast(pl.Int64),
        "p_last": pl.Series("p_last", p_last).fill_nan(None),
    }
    for c in classes:
        cols[f"p_class_{c}"] = pl.Series(f"p_class_{c}", p_class[c]).fill_nan(None)
    cols["robust_flag"] = text_column(flags, _FLAG_TEXT, "robust_flag")
    return cols


def _score_order(grp: Groups, by_id: np.ndarray, score: np.ndarray) -> np.ndarray:
    """The group members sorted by score, descending; ``by_id`` lists them in entity-id order
    and the sort is stable, so exact ties are broken by id."""
    return by_id[np.argsort(rank.sort_key(grp.members(score), True)[by_id], kind="stable")]


def _positions(grp: Groups, order: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Each row's 0-based position in its own group, from the members' score order."""
    pos = np.empty(len(order), dtype=np.int64)
    if grp.n == 1:
        pos[order] = np.arange(len(order))
        return grp.own_of(pos)
    grouped = order[np.argsort(rank.small_int(grp.mg)[order], kind="stable")]
    pos[grouped] = np.arange(len(order)) - start[grp.mg[grouped]]
    return grp.own_of(pos)


# The flags are codes (stored with results, compared by programs); pages and documents turn
# them into words with ``flag_labels`` — the display text is never read back.
FLAGS = {"class_unstable": "等级不稳健", "last_unstable": "末位不稳健", "maybe_last": "可能末位"}
_BITS = (1, "class_unstable"), (2, "last_unstable"), (4, "maybe_last")
_FLAG_TEXT = [",".join(name for bit, name in _BITS if code & bit) for code in range(8)]


def flag_codes(value: str | None) -> list[str]:
    """The codes of a stored ``robust_flag`` ("" or None: no flag)."""
    return [c for c in (value or "").split(",") if c]


def flag_labels(value: str | None) -> str:
    """Chinese words for a stored ``robust_flag``, e.g. "等级不稳健；末位不稳健"; "" when none."""
    return "；".join(FLAGS.get(c, c) for c in flag_codes(value))
