"""Explanations (docs/engine.md, "Explanations").

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
from dataclasses import dataclass
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

    which = stack(columns["j"])
    c = stack(contrib)
    s = np.repeat(score, len(run.indicator_ids))
    inds = [method.indicator(i) for i in run.indicator_ids]
    weights = np.array([run.total * run.eff[k] for k in range(len(inds))])
    return pl.DataFrame(
        {
            "entity_id": np.repeat(result.ids[run.rows[sel]], len(inds)).astype(str),
            "indicator": [inds[k].id for k in which],
            "name": [inds[k].name for k in which],
            "unit": [inds[k].unit for k in which],
            "value": pl.Series(stack(columns["value"]) + 0.0, nan_to_null=True),
            "benchmark": pl.Series(stack(columns["benchmark"]) + 0.0, nan_to_null=True),
            "normalised": pl.Series(stack(columns["normalised"]) + 0.0, nan_to_null=True),
            "weight": weights[which].astype(float),
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


@dataclass(frozen=True)
class Change:
    """One indicator in a set of changes: from ``current`` to ``required`` (in the indicator's
    unit); ``full_marks`` when the change takes it to the top of its scoring range."""

    indicator: str
    name: str
    unit: str
    direction: str
    current: float | None
    required: float
    change_pct: float | None
    gain: float  # points it adds, the others in the set already changed
    full_marks: bool


@dataclass(frozen=True)
class ChangeSet:
    """The smallest set of indicator changes that lifts one entity's score to ``goal``.

    ``reachable`` is False when even every indicator at the top of its scoring range would not
    get there; ``best_score`` is that ceiling, and ``headroom`` lists each indicator's most
    possible gain (indicator id → points), largest first, so the reason can be stated."""

    score: float
    goal: float
    reachable: bool
    changes: list[Change]
    best_score: float
    headroom: list[tuple[str, float]]


def _best_n(run: SegmentRun, j: int) -> float:
    """The highest normalised value indicator j can reach (its cap), or +inf when uncapped."""
    return float(run.caps[j])


def _row_score(run: SegmentRun, i: int, n_row: np.ndarray) -> float:
    return float(run.composite(n_row[None, :], sel=np.array([i]))[0])


def _required_value(
    run: SegmentRun, i: int, j: int, n_row: np.ndarray, goal: float
) -> float | None:
    """The value of indicator j that lifts the row (other columns as in ``n_row``) to ``goal``;
    None if no value does."""
    f = run.fitted[j]
    x0 = run.x[i, j]
    x_start = 0.0 if np.isnan(x0) else float(x0)
    gi = f.g[[i]]

    def fn(t: np.ndarray) -> np.ndarray:
        x = x_start + t if f.direction == "higher" else x_start * (1 - t)
        n = np.repeat(n_row[None, :], len(t), axis=0)
        n[:, j] = normalise.bound(f.transform(x, np.repeat(gi, len(t))), run.caps[j], run.floors[j])
        return run.composite(n, sel=np.full(len(t), i))

    if f.direction == "higher":
        finite = run.x[:, j][np.isfinite(run.x[:, j])]
        scale = float(np.median(np.abs(finite))) if finite.size else 1.0
        span = np.array([max(abs(x_start), scale if scale > 0 else 1.0)])
        t = _solve(fn, np.array([goal]), np.zeros(1), span, grow=True)[0]
        return None if np.isnan(t) else x_start + float(t)
    t = _solve(fn, np.array([goal]), np.zeros(1), np.array([1 - 1e-12]), grow=False)[0]
    return None if np.isnan(t) else x_start * (1 - float(t))


def smallest_change_set(result: EvaluationResult, entity_id: str, goal: float) -> ChangeSet:
    """The fewest indicators whose improvement lifts ``entity_id``'s score to ``goal``, with
    the other entities, benchmarks and min/max held fixed and every indicator bounded by its
    cap and floor (the rules the score is computed under).

    Each indicator's most possible gain is its score at the top of its range minus its score
    now. Taking indicators in order of that gain, largest first, gives the smallest number of
    indicators for an additive (weighted-sum) score; the last one is raised only as far as
    needed. For other aggregations the same order is used and the result is checked by
    recomputing the score."""
    run, i = _locate(result, entity_id)
    method = result.method
    n0 = run.n[i].copy()
    score = float(run.score[i])
    k = len(run.indicator_ids)
    best = np.array([_best_n(run, j) for j in range(k)])
    gains = np.empty(k)
    for j in range(k):
        if not np.isfinite(best[j]):
            gains[j] = np.inf
            continue
        n = n0.copy()
        n[j] = max(best[j], n0[j])
        gains[j] = _row_score(run, i, n) - score
    order = [int(j) for j in np.argsort(-gains, kind="stable") if gains[j] > 1e-12]
    headroom = [(run.indicator_ids[j], float(gains[j])) for j in np.argsort(-gains, kind="stable")]
    all_best = n0.copy()
    for j in order:
        all_best[j] = max(best[j], n0[j]) if np.isfinite(best[j]) else all_best[j]
    best_score = _row_score(run, i, all_best) if not np.isinf(gains).any() else np.inf
    if goal <= score:
        return ChangeSet(score, goal, True, [], best_score, headroom)
    chosen: list[int] = []
    n = n0.copy()
    reached = False
    for j in order:
        chosen.append(j)
        if not np.isfinite(best[j]):  # uncapped: this indicator alone can go as far as needed
            reached = True
            break
        n = _with(n, j, max(best[j], n0[j]))
        if _row_score(run, i, n) >= goal:
            reached = True
            break
    if not reached:
        return ChangeSet(score, goal, False, [], best_score, headroom)
    changes = []
    state = n0.copy()
    for pos, j in enumerate(chosen):
        ind = method.indicator(run.indicator_ids[j])
        before = _row_score(run, i, state)
        last = pos == len(chosen) - 1
        # Earlier indicators go to the top of their range; the last only as far as needed.
        aim = goal if last else _row_score(run, i, _with(state, j, max(best[j], n0[j])))
        required = _required_value(run, i, j, state, aim)
        if required is None:  # a chosen indicator always has a value; say so rather than guess
            return ChangeSet(score, goal, False, [], best_score, headroom)
        state = _with(state, j, _n_at(run, i, j, required))
        x0 = run.x[i, j]
        pct = None if np.isnan(x0) or x0 == 0 else (required - x0) / abs(x0) * 100
        changes.append(
            Change(
                run.indicator_ids[j],
                ind.name,
                ind.unit,
                ind.direction,
                _float(x0),
                float(required),
                None if pct is None else float(pct),
                _row_score(run, i, state) - before,
                bool(state[j] >= best[j] - 1e-12),
            )
        )
    return ChangeSet(score, goal, True, changes, best_score, headroom)


def _with(n_row: np.ndarray, j: int, value: float) -> np.ndarray:
    out = n_row.copy()
    out[j] = value
    return out


def _n_at(run: SegmentRun, i: int, j: int, x: float) -> float:
    f = run.fitted[j]
    n = normalise.bound(f.transform(np.array([x]), f.g[[i]]), run.caps[j], run.floors[j])
    return float(n[0])
