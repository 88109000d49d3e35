"""Explanations (issue 3 item 8; expectations.md §5 item 8).

- ``contributions``: each indicator's value, benchmark, normalised value, weight and its
  contribution to the score. For the weighted sum the contribution is ``weight × n``; for the
  geometric mean and TOPSIS it is the score lost if that indicator alone fell to the segment
  median (the parts then need not add up to the score, and the table says so).
- ``improvement_paths``: the smallest change that reaches the next class (or the next rank
  position): one row per indicator for a single-indicator change, and one "combined" row for
  the smallest equal percentage improvement of all indicators together. Benchmarks, min/max,
  TOPSIS ideals and the other entities are held fixed; zero values cannot grow by a percentage,
  so the combined path leaves them as they are. Solved by vectorised bisection.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import polars as pl

from pingtai.engine import classify, normalise, rank
from pingtai.engine.result import EvaluationResult, SegmentRun

BISECT = 60
DOUBLINGS = 40


def _locate(result: EvaluationResult, entity_id: str) -> tuple[SegmentRun, int]:
    where = np.flatnonzero(result.ids == entity_id)
    if not where.size:
        raise KeyError(f"找不到主体“{entity_id}”")
    idx = int(where[0])
    for run in result.segments.values():
        local = np.flatnonzero(run.rows == idx)
        if local.size:
            return run, int(local[0])
    raise KeyError(f"主体“{entity_id}”未参加评分（豁免或不参评）")


def _additive(run: SegmentRun) -> bool:
    return run.structure.kind == "weighted_sum" and (
        run.structure.pillar_of is None
        or all(k == "weighted_sum" for k in run.structure.pillar_kinds)
    )


ADDITIVE_NOTE = "各项之和 = 调整前得分"
NON_ADDITIVE_NOTE = "非加性汇总：各项为“该项降至中位数时的失分”，之和不等于得分"


def _parts(result: EvaluationResult, run: SegmentRun, sel: np.ndarray) -> pl.DataFrame:
    """The breakdown for rows ``sel`` of one segment, one row per (entity, indicator),
    vectorised over the entities."""
    method = result.method
    additive = _additive(run)
    score = run.score[sel]
    m = len(sel)
    columns: dict[str, list] = {k: [] for k in ("j", "value", "benchmark", "normalised")}
    contrib = []
    for j in range(len(run.indicator_ids)):
        weight = run.total * run.eff[j]
        bench = run.fitted[j].benchmark()
        if additive:
            c = weight * run.n[sel, j]
        else:
            n = run.n[sel].copy()
            n[:, j] = np.median(run.n[:, j])
            c = score - run.composite(n, sel=sel)
        contrib.append(c)
        columns["j"].append(np.full(m, j))
        columns["value"].append(run.x[sel, j])
        columns["benchmark"].append(
            bench[run.fitted[j].g[sel]] if bench is not None else np.full(m, np.nan)
        )
        columns["normalised"].append(run.n[sel, j])

    # Entity-major order: all indicators of the first entity, then the next.
    def stack(arrays: list) -> np.ndarray:
        return np.stack(arrays, axis=1).reshape(-1)

    j = stack(columns["j"])
    c = stack(contrib)
    s = np.repeat(score, len(run.indicator_ids))
    inds = [method.indicator(i) for i in run.indicator_ids]
    weights = np.array([run.total * run.eff[k] for k in range(len(inds))])
    return pl.DataFrame(
        {
            "entity_id": np.repeat(result.ids[run.rows[sel]], len(inds)).astype(str),
            "indicator": [inds[k].id for k in j],
            "name": [inds[k].name for k in j],
            "unit": [inds[k].unit for k in j],
            "value": pl.Series(stack(columns["value"]) + 0.0, nan_to_null=True),
            "benchmark": pl.Series(stack(columns["benchmark"]) + 0.0, nan_to_null=True),
            "normalised": pl.Series(stack(columns["normalised"]) + 0.0, nan_to_null=True),
            "weight": weights[j].astype(float),
            "contribution": c.astype(float),
            "share_of_score": pl.Series(
                np.divide(c, s, out=np.full(len(c), np.nan), where=s != 0), nan_to_null=True
            ),
            "score": s.astype(float),
            "adj_ratio": np.repeat(run.adj_ratio[sel], len(inds)).astype(float),
            "adj_points": np.repeat(run.adj_points[sel], len(inds)).astype(float),
            "note": ADDITIVE_NOTE if additive else NON_ADDITIVE_NOTE,
        }
    )


def contributions(result: EvaluationResult, entity_id: str) -> pl.DataFrame:
    """Per-indicator breakdown of one entity's score."""
    run, i = _locate(result, entity_id)
    return _parts(result, run, np.array([i])).drop("entity_id")


def contributions_all(result: EvaluationResult) -> pl.DataFrame:
    """The breakdown of every scored entity (``entity_id`` first), stored with a run so that
    a firm's portrait reads it instead of re-running the evaluation."""
    frames = [
        _parts(result, run, np.arange(len(run.rows)))
        for run in result.segments.values()
        if len(run.rows)
    ]
    return pl.concat(frames) if frames else pl.DataFrame()


def _float(v: float) -> float | None:
    return None if v is None or np.isnan(v) else float(v)


def _targets(run: SegmentRun, target: str) -> tuple[np.ndarray, np.ndarray]:
    """Score to reach and its label per entity; NaN where there is nothing above."""
    m = len(run.rows)
    goal = np.full(m, np.nan)
    label = np.full(m, "", dtype=object)
    if target == "rank":
        # The member one place above, in the group's order over all its members.
        rg = run.rank_groups
        start = rank.group_starts(rg.mg, rg.n)[0]
        slot = np.empty(len(rg.mg), dtype=np.int64)
        slot[start[rg.mg] + run.rank_member_pos] = np.arange(len(rg.mg))
        above = run.rank_pos > 0
        prev = slot[start[rg.g[above]] + run.rank_pos[above] - 1]
        goal[above] = rg.members(run.score)[prev]
        label[above] = [f"第 {p} 名" for p in run.rank_pos[above]]
        return goal, label
    spec = run.spec.class_rules()
    idx = run.class_index
    cg = run.class_groups
    member_score = cg.members(run.score)
    # Every member's class as its own group would give it (the rows themselves for a partition).
    member_idx = classify.classify(spec, member_score, run.class_member_pos, cg.mg, cg.size)
    for b in range(1, len(spec.bands)):
        here = (idx == b) & (run.forced < 0)
        if not here.any():
            continue
        need = np.full(here.sum(), -np.inf)
        better = spec.bands[b - 1]
        if spec.kind in ("thresholds", "mixed"):
            assert better.min_score is not None  # every band above the last has one (loader)
            need = np.maximum(need, better.min_score)
        if spec.kind in ("quota", "mixed"):
            # The lowest score now in the better class, in the same class group.
            in_better = member_idx == b - 1
            low = np.full(cg.n, np.inf)
            np.minimum.at(low, cg.mg[in_better], member_score[in_better])
            need = np.maximum(need, low[cg.g[here]])
        goal[here] = np.where(np.isfinite(need), need, np.nan)
        label[here] = f"升至 {better.class_} 类"
    return goal, label


def _score_with(run: SegmentRun, sel: np.ndarray, j: int, xj: np.ndarray) -> np.ndarray:
    n = run.n[sel].copy()
    f = run.fitted[j]
    n[:, j] = normalise.bound(f.transform(xj, f.g[sel]), run.caps[j], run.floors[j])
    return run.composite(n, sel=sel)


def _score_along(
    run: SegmentRun, sel: np.ndarray, j: int, x_start: np.ndarray, shrink: bool
) -> Callable[[np.ndarray], np.ndarray]:
    """Score as indicator j moves from x_start: by +t, or (shrink) by the share t of itself."""
    if shrink:
        return lambda t: _score_with(run, sel, j, x_start * (1 - t))
    return lambda t: _score_with(run, sel, j, x_start + t)


def _score_scaled(run: SegmentRun, sel: np.ndarray, p: np.ndarray) -> np.ndarray:
    n = run.n[sel].copy()
    for j, f in enumerate(run.fitted):
        x = run.x[sel, j]
        have = ~np.isnan(x)
        moved = x * (1 + p) if f.direction == "higher" else x / (1 + p)
        nj = normalise.bound(f.transform(moved, f.g[sel]), run.caps[j], run.floors[j])
        n[:, j] = np.where(have, nj, n[:, j])
    return run.composite(n, sel=sel)


def _solve(
    fn: Callable[[np.ndarray], np.ndarray],
    goal: np.ndarray,
    lo: np.ndarray,
    hi0: np.ndarray,
    grow: bool,
) -> np.ndarray:
    """Smallest t in [lo, hi] with fn(t) ≥ goal (fn non-decreasing in t); NaN if none."""
    hi = hi0.copy()
    if grow:
        ok = fn(hi) >= goal
        for _ in range(DOUBLINGS):
            if ok.all():
                break
            hi = np.where(ok, hi, lo + (hi - lo) * 2)
            ok = fn(hi) >= goal
    else:
        ok = fn(hi) >= goal
    lo = lo.copy()
    for _ in range(BISECT):
        mid = (lo + hi) / 2
        good = fn(mid) >= goal
        hi = np.where(good, mid, hi)
        lo = np.where(good, lo, mid)
    return np.where(ok, hi, np.nan)


def improvement_paths(
    result: EvaluationResult, target: str = "class", entity_ids: list[str] | None = None
) -> pl.DataFrame:
    """Smallest single-indicator and combined changes that reach the next class or rank."""
    if target not in ("class", "rank"):
        raise ValueError("target 只能是 class 或 rank")
    method = result.method
    frames = []
    wanted = None if entity_ids is None else set(entity_ids)
    for run in result.segments.values():
        goal, label = _targets(run, target)
        ids = result.ids[run.rows]
        sel = ~np.isnan(goal) & (goal > run.score)
        if wanted is not None:
            sel &= np.isin(ids, list(wanted))
        sel = np.flatnonzero(sel)
        if not sel.size:
            continue
        g = goal[sel]
        base = {
            "entity_id": ids[sel],
            "segment": np.full(sel.size, run.name),
            "score": run.score[sel],
            "target_score": g,
            "target": label[sel].astype(str),
        }
        for j, ind_id in enumerate(run.indicator_ids):
            ind = method.indicator(ind_id)
            x0 = run.x[sel, j]
            have = ~np.isnan(x0)
            scale = np.nanmedian(np.abs(run.x[:, j])) if np.isfinite(run.x[:, j]).any() else 1.0
            x_start = np.where(have, x0, 0.0)
            if ind.direction == "higher":
                span0 = np.maximum(np.abs(x_start), scale if scale > 0 else 1.0)
                t = _solve(
                    _score_along(run, sel, j, x_start, shrink=False),
                    g,
                    np.zeros(sel.size),
                    span0,
                    grow=True,
                )
                required = x_start + t
            else:
                t = _solve(
                    _score_along(run, sel, j, x_start, shrink=True),
                    g,
                    np.zeros(sel.size),
                    np.full(sel.size, 1 - 1e-12),
                    grow=False,
                )
                required = x_start * (1 - t)
            required = np.where(have, required, np.nan)
            with np.errstate(divide="ignore", invalid="ignore"):
                pct = np.where(x0 != 0, (required - x0) / np.abs(x0) * 100, np.nan)
            frames.append(
                pl.DataFrame(
                    {
                        **base,
                        "path": "single",
                        "indicator": ind_id,
                        "indicator_name": ind.name,
                        "unit": ind.unit,
                        "current_value": x0,
                        "required_value": required,
                        "change_pct": pct,
                    }
                )
            )
        p = _solve(
            partial(_score_scaled, run, sel),
            g,
            np.zeros(sel.size),
            np.ones(sel.size),
            grow=True,
        )
        frames.append(
            pl.DataFrame(
                {
                    **base,
                    "path": "combined",
                    "indicator": "*",
                    "indicator_name": "全部指标同比例提高",
                    "unit": "%",
                    "current_value": np.full(sel.size, np.nan),
                    "required_value": np.full(sel.size, np.nan),
                    "change_pct": p * 100,
                }
            )
        )
    if not frames:
        return pl.DataFrame()
    out = pl.concat(frames).with_columns(
        pl.col("required_value", "current_value", "change_pct").fill_nan(None),
    )
    reachable = pl.when(pl.col("path") == "combined").then(pl.col("change_pct").is_not_null())
    out = out.with_columns(
        reachable.otherwise(pl.col("required_value").is_not_null()).alias("reachable")
    )
    return out.sort(
        ["segment", "entity_id", "path", "indicator"], descending=[False, False, True, False]
    )
